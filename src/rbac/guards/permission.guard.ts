import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { ACCESS_REQUIREMENT, type AccessRequirement } from '../../auth/decorators/access.decorator';
import { DomainEvents } from '../../common/events/domain-events.service';
import { AccessDenied } from '../rbac.events';
import { PermissionService } from '../permission.service';
import type { ResourceRef } from '../resource-scope';
import { RbacException, RbacErrorCode } from '../rbac.exception';

type AuthorizedRequest = FastifyRequest & { user?: AuthenticatedUser; params: Record<string, string | undefined> };

/**
 * Global, after authentication: the caller must hold every permission the
 * route declares, on the route's resource when it names one. A refusal is a
 * 403 and an `rbac.denied` event.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly permissions: PermissionService,
    private readonly events: DomainEvents,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.getAllAndOverride<AccessRequirement | undefined>(ACCESS_REQUIREMENT, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<AuthorizedRequest>();
    const user = request.user;
    if (!requirement || requirement.permissions.length === 0 || !user) return true;
    const resource = resourceOf(request, requirement);
    for (const permission of requirement.permissions) {
      const decision = await this.permissions.decide(user, permission, resource);
      if (!decision.allowed) {
        this.emitDenied(user, requirement, resource);
        throw new RbacException(RbacErrorCode.Forbidden);
      }
    }
    return true;
  }

  private emitDenied(user: AuthenticatedUser, requirement: AccessRequirement, resource: ResourceRef | undefined): void {
    this.events.publish(
      new AccessDenied(user.id, user.username, [...requirement.permissions], resource?.type, resource?.id),
    );
  }
}

function resourceOf(request: AuthorizedRequest, requirement: AccessRequirement): ResourceRef | undefined {
  if (!requirement.scope) return undefined;
  const id = request.params[requirement.scope.idParam];
  return id === undefined ? undefined : { type: requirement.scope.resourceType, id };
}
