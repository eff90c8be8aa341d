import { Authenticated } from '../../auth/decorators/access.decorator';
import type { Permission } from '../permission';
import type { ResourceType } from '../resource-scope';

export interface PermissionScope {
  /** The kind of resource the route acts on. */
  resourceType: ResourceType;
  /** The route parameter holding the resource's id. */
  idParam: string;
}

/**
 * Declares the permissions a route needs (all of them). With a scope, a grant
 * limited to the resource named by the route parameter also counts:
 * `@RequirePermissions([Permission.AgentsManage], { resourceType: ResourceType.Agent, idParam: 'id' })`.
 */
export function RequirePermissions(
  permissions: readonly Permission[],
  scope?: PermissionScope,
): MethodDecorator & ClassDecorator {
  return Authenticated({ permissions, scope });
}
