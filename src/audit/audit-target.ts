import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { ACCESS_REQUIREMENT, type AccessRequirement } from '../auth/decorators/access.decorator';
import { AUDIT_ACTION, type AuditDeclaration } from './decorators/audit.decorator';

/** What an audit row says a request was about, worked out from the route's metadata. */
export interface AuditTarget {
  action: string;
  resourceType: string | null;
  idParam: string | null;
}

export function auditTargetOf(context: ExecutionContext, reflector: Reflector): AuditTarget {
  const declared = reflector.get<AuditDeclaration | undefined>(AUDIT_ACTION, context.getHandler());
  const access = reflector.getAllAndOverride<AccessRequirement | undefined>(ACCESS_REQUIREMENT, [
    context.getHandler(),
    context.getClass(),
  ]);
  const controller = kebab(context.getClass().name.replace(/Controller$/, ''));
  return {
    action: declared?.action ?? `${controller}.${kebab(context.getHandler().name)}`,
    resourceType: declared?.resource ?? access?.scope?.resourceType ?? null,
    idParam: declared?.idParam ?? access?.scope?.idParam ?? null,
  };
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
