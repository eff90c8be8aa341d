import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { API_KEY_AUTH, BEARER_AUTH } from '../../app.setup';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import type { Permission } from '../../rbac/permission';
import type { ResourceType } from '../../rbac/resource-scope';

/** Account states that confine a user to a few routes until they are resolved. */
export const AccountRestriction = {
  PasswordChange: 'password-change',
  MfaEnrollment: 'mfa-enrollment',
} as const;
export type AccountRestriction = (typeof AccountRestriction)[keyof typeof AccountRestriction];

/** The resource a route acts on: grants scoped to it count. */
export interface PermissionScope {
  /** The kind of resource the route acts on. */
  resourceType: ResourceType;
  /** The route parameter holding the resource's id. */
  idParam: string;
}

export interface AccessRequirement {
  /** All of these are needed; none means any authenticated caller. */
  permissions: readonly Permission[];
  /** Restricted accounts may still use this route (e.g. /auth/me, /auth/password). */
  allowRestricted: readonly AccountRestriction[];
  /** The resource the route acts on, so that grants scoped to it count. */
  scope?: PermissionScope;
  /** Needs a login session: an API key is refused (keys must not manage users, grants, keys, passwords or MFA). */
  interactiveOnly: boolean;
  /** `Authorization: Bearer <METRICS_SCRAPE_TOKEN>` also passes (the Prometheus endpoint only). */
  acceptsScrapeToken: boolean;
}

export const ACCESS_REQUIREMENT = 'sentinel:access';

/**
 * Declares what a route needs; the global AccessGuard (src/access/access.guard.ts)
 * decides. Documents the bearer and API-key schemes and the 401/403 answers in
 * Swagger. A route with neither this nor `@Public()` is refused for everyone.
 *
 * `@Authenticated({ permissions: [Permission.AgentsManage], scope: { resourceType: ResourceType.Agent, idParam: 'id' } })`
 */
export function Authenticated(options: Partial<AccessRequirement> = {}): MethodDecorator & ClassDecorator {
  const requirement: AccessRequirement = {
    permissions: options.permissions ?? [],
    allowRestricted: options.allowRestricted ?? [],
    scope: options.scope,
    interactiveOnly: options.interactiveOnly ?? false,
    acceptsScrapeToken: options.acceptsScrapeToken ?? false,
  };
  return applyDecorators(
    SetMetadata(ACCESS_REQUIREMENT, requirement),
    ApiBearerAuth(BEARER_AUTH),
    ApiSecurity(API_KEY_AUTH),
    ApiErrorResponses(401, 403),
  );
}
