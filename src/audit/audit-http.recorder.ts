import { STATUS_CODES } from 'node:http';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../common/clock/clock';
import { auditConfig } from '../config';
import type { AuditEntry } from './audit-entry';
import { AuditWriter } from './audit-writer.service';
import { summarizeInput } from './request-summary';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Probes and API docs: polled constantly, change nothing, and would drown the trail. */
const UNAUDITED = /^\/(health\/|docs)/;
const GUARD_REFUSALS = new Set([401, 403, 429]);

/**
 * One audit row per HTTP request, written from Fastify's onSend hook, which
 * sees every outcome: handler results, guard refusals, validation errors,
 * unknown routes. A state-changing request is answered only once its row is
 * committed; if it cannot be (AUDIT_FAIL_MODE=closed) the answer becomes 503.
 */
@Injectable()
export class AuditHttpRecorder implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly writer: AuditWriter,
    private readonly clock: Clock,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {}

  onModuleInit(): void {
    // An application context without HTTP (a CLI, a benchmark) has no adapter and no requests to record.
    if (!this.config.enabled || !(this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null)) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', (request, reply, payload) => this.record(request, reply, payload));
  }

  private async record(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    if (UNAUDITED.test(request.url)) return payload;
    const entry = this.entryFor(request, reply, payload);
    if (!STATE_CHANGING.has(request.method)) {
      this.writer.enqueue(entry);
      return payload;
    }
    try {
      await this.writer.writeDurably(entry);
      return payload;
    } catch {
      if (this.config.failMode === 'open') {
        this.writer.countLost();
        return payload;
      }
      return refuseUnrecorded(reply, entry.traceId);
    }
  }

  private entryFor(request: FastifyRequest, reply: FastifyReply, payload: unknown): AuditEntry {
    const context = request.requestContext;
    const actor = context?.actor;
    const target = request.auditTarget;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const status = reply.statusCode;
    return {
      createdAt: this.clock.now(),
      userId: actor?.userId ?? null,
      username: actor?.username ?? null,
      sessionId: actor?.sessionId ?? null,
      apiKeyId: actor?.apiKeyId ?? null,
      actionType: target?.action ?? 'http.unmatched-route',
      resourceType: target?.resourceType ?? null,
      resourceId: target?.idParam ? (params[target.idParam] ?? null) : null,
      actionDetails: details(request),
      ipAddress: context?.ip ?? request.ip,
      userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
      requestMethod: request.method,
      requestPath: request.url.split('?')[0].slice(0, 2048),
      responseStatus: status,
      executionTimeMs: context ? Number((process.hrtime.bigint() - context.startedAt) / 1_000_000n) : null,
      success: status < 400,
      allowed: request.auditReachedHandler ? true : GUARD_REFUSALS.has(status) ? false : null,
      errorMessage: status >= 400 ? errorMessageOf(payload) : null,
      metadata: request.routeOptions.url ? { route: request.routeOptions.url } : null,
      traceId: context?.traceId ?? null,
    };
  }
}

function details(request: FastifyRequest): Record<string, unknown> | null {
  const parts = Object.entries({ params: request.params, query: request.query, body: request.body }).filter(
    ([, value]) =>
      value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0),
  );
  return parts.length === 0 ? null : (summarizeInput(Object.fromEntries(parts)) as Record<string, unknown>);
}

function errorMessageOf(payload: unknown): string | null {
  if (typeof payload !== 'string' || payload.length > 10_000) return null;
  try {
    const message = (JSON.parse(payload) as { message?: unknown }).message;
    return typeof message === 'string' ? message.slice(0, 1000) : null;
  } catch {
    return null;
  }
}

function refuseUnrecorded(reply: FastifyReply, traceId: string | null): string {
  void reply.code(503).header('content-type', 'application/json; charset=utf-8');
  return JSON.stringify({
    statusCode: 503,
    error: STATUS_CODES[503],
    message: 'The audit trail is unavailable, so this change could not be recorded; retry later',
    traceId,
  });
}
