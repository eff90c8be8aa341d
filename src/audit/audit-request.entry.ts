import type { FastifyRequest } from 'fastify';
import type { ErrorDescription } from '../common/errors/describe-error';
import type { AuditEntry } from './audit-entry';
import type { AuditTarget } from './audit-target';
import type { DeclaredInputFields } from '../common/routing/declared-input-fields';
import { summarizeInput } from './request-summary';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the request's row is committed with its change, so the response hook does not write another. */
    auditRecorded?: boolean;
    /** The error the request failed with, as the client is told it. */
    errorDescription?: ErrorDescription;
  }
}

/** How a request ended, as far as its audit row is concerned. */
export interface RequestOutcome {
  status: number;
  error?: Pick<ErrorDescription, 'code' | 'message'>;
  /** The id of what the request created, from its answer. */
  createdId?: string | null;
}

const GUARD_REFUSALS = new Set([401, 403, 429]);

/** The one audit row of an HTTP request. */
export function requestAuditEntry(
  request: FastifyRequest,
  target: AuditTarget,
  outcome: RequestOutcome,
  now: Date,
): AuditEntry {
  const context = request.requestContext;
  const actor = context?.actor;
  const params = (request.params ?? {}) as Record<string, unknown>;
  const fromParam = target.idParam ? params[target.idParam] : undefined;
  return {
    createdAt: now,
    userId: actor?.userId ?? null,
    username: actor?.username ?? null,
    sessionId: actor?.sessionId ?? null,
    apiKeyId: actor?.apiKeyId ?? null,
    actionType: target.action,
    resourceType: target.resourceType,
    resourceId: typeof fromParam === 'string' ? fromParam : (outcome.createdId ?? null),
    actionDetails: inputSummary(request, target.declaredInput),
    ipAddress: context?.ip ?? null,
    userAgent: context?.userAgent ?? null,
    requestMethod: request.method,
    requestPath: request.url.split('?')[0],
    responseStatus: outcome.status,
    executionTimeMs: context ? Number((process.hrtime.bigint() - context.startedAt) / 1_000_000n) : null,
    success: outcome.status < 400,
    // accessGranted: set by the access decision (AccessGuard) once it let the request through.
    allowed: request.accessGranted ? true : GUARD_REFUSALS.has(outcome.status) ? false : null,
    errorMessage: outcome.error?.message ?? null,
    errorCode: outcome.error?.code ?? null,
    metadata: request.routeOptions.url ? { route: request.routeOptions.url } : null,
    traceId: context?.traceId ?? null,
  };
}

/**
 * What the row keeps of the input: a redacted, shortened summary of the path
 * parameters, query and JSON body. A body that is not JSON (a string, bytes)
 * is described by its type and length only, never copied: a password sent
 * as text/plain must not end up in a record kept for years. Nor one sent
 * under a field the route does not take (`{"username", "password", "pw2"}`):
 * such a field is named, its value is not kept.
 */
function inputSummary(request: FastifyRequest, declared: DeclaredInputFields): Record<string, unknown> | null {
  const body: unknown = request.body;
  const parts = Object.entries({
    params: request.params,
    query: onlyDeclared(request.query, declared.query),
    body:
      typeof body === 'string' || Buffer.isBuffer(body)
        ? { type: typeof body === 'string' ? 'text' : 'bytes', length: body.length }
        : onlyDeclared(body, declared.body),
  }).filter(
    ([, value]) =>
      value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0),
  );
  return parts.length === 0 ? null : (summarizeInput(Object.fromEntries(parts)) as Record<string, unknown>);
}

export const UNDECLARED = '[UNDECLARED FIELD]';

function onlyDeclared(input: unknown, fields: ReadonlySet<string> | undefined): unknown {
  if (!fields || input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, fields.has(key) ? value : UNDECLARED]));
}

/** The id a creating route's answer names: `{id}` or `{user: {id}}`. */
export function createdIdOf(result: unknown): string | null {
  if (typeof result !== 'object' || result === null) return null;
  const { id, user } = result as { id?: unknown; user?: { id?: unknown } };
  if (typeof id === 'string') return id;
  return typeof user?.id === 'string' ? user.id : null;
}
