import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { type AuditTarget, auditTargetOf } from './audit-target';

declare module 'fastify' {
  interface FastifyRequest {
    auditTarget?: AuditTarget;
    /** Set once every guard has let the request through to its handler. */
    auditReachedHandler?: boolean;
  }
}

/**
 * Runs first among the global guards and refuses nothing: it notes which
 * action the request is, so that the audit row of a request another guard
 * refuses (401, 403, 429) still names it.
 */
@Injectable()
export class AuditTargetGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') {
      context.switchToHttp().getRequest<FastifyRequest>().auditTarget = auditTargetOf(context, this.reflector);
    }
    return true;
  }
}
