import { type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC } from '../common/decorators/public.decorator';
import type { Permission } from '../rbac/permission';
import { ACCESS_REQUIREMENT, type AccessRequirement } from './decorators/authenticated.decorator';

/** A route's access declaration, read once: what the guard needs, in the form it needs it. */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'undeclared' }
  | {
      kind: 'authenticated';
      requirement: AccessRequirement;
      /** Needs a permission a key must have been issued with by name (see keysMustList). */
      needsListing: boolean;
    };

/**
 * Route declarations (`@Public()`, `@Authenticated(...)`), reflected once per
 * handler and then served from a map, so a request costs one lookup.
 */
@Injectable()
export class AccessRequirements {
  private readonly logger = new Logger(AccessRequirements.name);
  private readonly byHandler = new Map<object, RouteAccess>();

  constructor(private readonly reflector: Reflector) {}

  of(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    let access = this.byHandler.get(handler);
    if (access === undefined) {
      access = this.compile(context);
      this.byHandler.set(handler, access);
    }
    return access;
  }

  private compile(context: ExecutionContext): RouteAccess {
    const controller = context.getClass();
    const handler = context.getHandler();
    const targets = [handler, controller];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return { kind: 'public' };
    const requirement = this.reflector.getAllAndOverride<AccessRequirement | undefined>(ACCESS_REQUIREMENT, targets);
    if (!requirement) {
      this.logger.error(`${controller.name}.${handler.name} declares neither @Public() nor @Authenticated()`);
      return { kind: 'undeclared' };
    }
    return { kind: 'authenticated', requirement, needsListing: requirement.permissions.some(keysMustList) };
  }
}

/**
 * Permissions an API key never carries by inheritance from its owner: every
 * `*:manage`, and reading secrets or using transit keys. A key without a
 * permission list is refused where one of these is needed, so a key minted
 * for something else cannot reach them just because its owner could.
 */
export function keysMustList(permission: Permission): boolean {
  return permission.endsWith(':manage') || permission.startsWith('secrets:') || permission.startsWith('transit:');
}
