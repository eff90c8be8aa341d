import { SetMetadata } from '@nestjs/common';

export interface AuditOptions {
  /** The kind of resource the route acts on. */
  resource?: string;
  /** The route parameter holding that resource's id. */
  idParam?: string;
}

export interface AuditDeclaration extends AuditOptions {
  action: string;
}

export const AUDIT_ACTION = 'sentinel:auditAction';

/**
 * Names the action (and resource) a route's audit rows record:
 * `@Audit('proposal.approve', { resource: 'proposal', idParam: 'id' })`.
 * Without it the action is derived from the controller and handler
 * (`proposals.approve`) and the resource from the route's permission scope.
 */
export const Audit = (action: string, options: AuditOptions = {}): MethodDecorator =>
  SetMetadata(AUDIT_ACTION, { action, ...options } satisfies AuditDeclaration);
