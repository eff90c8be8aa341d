import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { API_KEY_AUTH, BEARER_AUTH } from '../../app.setup';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import type { PermissionScope } from '../../rbac/decorators/require-permissions.decorator';
import type { Permission } from '../../rbac/permission';

/** Account states that confine a user to a few routes until they are resolved. */
export const AccountRestriction = {
  PasswordChange: 'password-change',
  MfaEnrollment: 'mfa-enrollment',
} as const;
export type AccountRestriction = (typeof AccountRestriction)[keyof typeof AccountRestriction];

export interface AccessRequirement {
  /** All of these are needed; none means any authenticated caller. */
  permissions: readonly Permission[];
  /** Restricted accounts may still use this route (e.g. /auth/me, /auth/password). */
  allowRestricted: readonly AccountRestriction[];
  /** The resource the route acts on, so that grants scoped to it count. */
  scope?: PermissionScope;
  /** Needs a login session: an API key is refused (keys must not manage keys, passwords or MFA). */
  interactiveOnly?: boolean;
}

export const ACCESS_REQUIREMENT = 'sentinel:access';

/**
 * Declares that a route needs an authenticated caller, and documents the
 * bearer and API-key schemes and the 401/403 answers in Swagger. A route
 * with neither this nor `@Public()` is refused for everyone.
 */
export function Authenticated(options: Partial<AccessRequirement> = {}): MethodDecorator & ClassDecorator {
  const requirement: AccessRequirement = {
    permissions: options.permissions ?? [],
    allowRestricted: options.allowRestricted ?? [],
    scope: options.scope,
    interactiveOnly: options.interactiveOnly ?? false,
  };
  return applyDecorators(
    SetMetadata(ACCESS_REQUIREMENT, requirement),
    ApiBearerAuth(BEARER_AUTH),
    ApiSecurity(API_KEY_AUTH),
    ApiErrorResponses(401, 403),
  );
}
