import { SetMetadata } from '@nestjs/common';

export interface AuditOptions {
  /** The kind of resource the route acts on (default: the route's permission scope). */
  resource?: string;
  /** The route parameter holding that resource's id. */
  idParam?: string;
}

export interface AuditDeclaration extends AuditOptions {
  /** The action as stored for good: `agents.create`. Renaming a method never changes it. */
  action: string;
}

export const AUDIT_ACTION = 'sentinel:auditAction';
export const NOT_AUDITED = 'sentinel:notAudited';
export const COMPUTES_ONLY = 'sentinel:computesOnly';

/**
 * Names the action every request to this route is recorded as, and the
 * resource it acts on: `@Audit('agents.update', { resource: 'agent', idParam: 'id' })`.
 * A route that creates something records the new id (the `id` of its answer).
 * Every route declares one (or @NotAudited()); a test walks them all.
 */
export const Audit = (action: string, options: AuditOptions = {}): MethodDecorator =>
  SetMetadata(AUDIT_ACTION, { action, ...options } satisfies AuditDeclaration);

/** For probes polled every few seconds (liveness, readiness), which change nothing and would drown the trail. */
export const NotAudited = (): MethodDecorator => SetMetadata(NOT_AUDITED, true);

/**
 * For a POST that changes nothing and only computes its answer (transit
 * encrypt, decrypt, rewrap). It runs without the audited transaction, and its
 * row is queued once it is answered, exactly as a read's (a secret value's)
 * is: a transaction around no change would only add three round trips.
 */
export const ComputesOnly = (): MethodDecorator => SetMetadata(COMPUTES_ONLY, true);
