import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { ApiKeyVerifier } from '../api-keys/api-key-verifier.service';
import { AuthException, AuthErrorCode } from '../auth/auth.exception';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { AccessTokenVerifier } from '../auth/strategies/access-token.verifier';
import { DomainEvents } from '../common/events/domain-events.service';
import { authConfig, metricsConfig } from '../config';
import { PermissionService } from '../rbac/permission.service';
import { AccessDenied } from '../rbac/rbac.events';
import { RbacException, RbacErrorCode } from '../rbac/rbac.exception';
import type { ResourceRef } from '../rbac/resource-scope';
import { AccessRequirements, type RouteAccess } from './access-requirements';
import { type PresentedCredential, presentedCredential } from './credentials';
import { AccountRestriction, type AccessRequirement } from './decorators/authenticated.decorator';
import { isScrapeToken } from './scrape-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the access decision let the request through to its route: the audit row's `allowed = true`. */
    accessGranted?: boolean;
  }
}

type AccessRequest = FastifyRequest & { user?: AuthenticatedUser; params: Record<string, string | undefined> };

/**
 * The one access decision, global, for every route:
 *   public? -> authenticate (one credential, strictly parsed: bearer token or API key)
 *   -> account restrictions -> what an API key may do -> permissions on the route's resource.
 * Failing to authenticate is a 401; everything after is a 403 with its own code.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly routes: AccessRequirements,
    private readonly tokens: AccessTokenVerifier,
    private readonly keys: ApiKeyVerifier,
    private readonly permissions: PermissionService,
    private readonly events: DomainEvents,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(metricsConfig.KEY) private readonly metrics: ConfigType<typeof metricsConfig>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AccessRequest>();
    await this.decide(this.routes.of(context), request);
    request.accessGranted = true;
    return true;
  }

  /** Returns when the request may go on to its route; throws the 401 or 403 otherwise. */
  private async decide(access: RouteAccess, request: AccessRequest): Promise<void> {
    if (access.kind === 'public') return;
    if (access.kind === 'undeclared') throw new AuthException(AuthErrorCode.RouteAccessUndeclared);
    const { requirement } = access;
    const credential = presentedCredential(request.headers);
    if (
      requirement.acceptsScrapeToken &&
      credential.kind === 'bearer' &&
      isScrapeToken(credential.token, this.metrics.scrapeToken)
    ) {
      return;
    }
    const user = await this.authenticate(request, credential);
    this.enforceRestrictions(user, requirement);
    if (user.apiKeyId !== undefined) enforceKeyScope(user, requirement, access.needsListing);
    await this.enforcePermissions(user, requirement, request);
  }

  private async authenticate(request: AccessRequest, credential: PresentedCredential): Promise<AuthenticatedUser> {
    let user: AuthenticatedUser | undefined;
    if (credential.kind === 'bearer') user = await this.tokens.verify(credential.token);
    else if (credential.kind === 'api-key') user = await this.keys.verify(credential.key);
    if (!user) throw new AuthException(AuthErrorCode.Unauthenticated);
    request.user = user;
    if (request.requestContext) {
      request.requestContext.actor = {
        userId: user.id,
        username: user.username,
        sessionId: user.sessionId,
        apiKeyId: user.apiKeyId,
      };
    }
    return user;
  }

  /** A user who must change their password or enroll in MFA reaches only the routes that allow that state. */
  private enforceRestrictions(user: AuthenticatedUser, requirement: AccessRequirement): void {
    if (user.mustChangePassword && !requirement.allowRestricted.includes(AccountRestriction.PasswordChange)) {
      throw new AuthException(AuthErrorCode.PasswordChangeRequired);
    }
    const mfaRequired = this.auth.mfaRequiredRoles.includes(user.role) && !user.mfaEnabled;
    if (mfaRequired && !requirement.allowRestricted.includes(AccountRestriction.MfaEnrollment)) {
      throw new AuthException(AuthErrorCode.MfaEnrollmentRequired);
    }
  }

  /** Every permission the route declares, held now (by role or by a grant covering the route's resource). */
  private async enforcePermissions(
    user: AuthenticatedUser,
    requirement: AccessRequirement,
    request: AccessRequest,
  ): Promise<void> {
    const resource = resourceOf(request, requirement);
    for (const permission of requirement.permissions) {
      const decision = await this.permissions.decide(user, permission, resource);
      if (!decision.allowed) {
        this.events.publish(
          new AccessDenied(user.id, user.username, [...requirement.permissions], resource?.type, resource?.id),
        );
        throw new RbacException(RbacErrorCode.Forbidden);
      }
    }
  }
}

/**
 * A key never manages anything by inheritance: it is refused on interactive-only
 * routes, carries at most the permissions listed when it was issued, and an
 * unrestricted key (no list) is refused wherever a permission keys must list
 * is needed (`*:manage`, secrets, transit).
 */
function enforceKeyScope(user: AuthenticatedUser, requirement: AccessRequirement, needsListing: boolean): void {
  if (requirement.interactiveOnly) throw new AuthException(AuthErrorCode.SessionRequired);
  const listed = user.apiKeyPermissions;
  if (listed === undefined) {
    if (needsListing) {
      throw new AuthException(
        AuthErrorCode.ApiKeyScope,
        'An unrestricted key carries no *:manage, secrets or transit permission; issue a key that lists it',
      );
    }
    return;
  }
  if (requirement.permissions.some((permission) => !listed.includes(permission))) {
    throw new AuthException(AuthErrorCode.ApiKeyScope);
  }
}

function resourceOf(request: AccessRequest, requirement: AccessRequirement): ResourceRef | undefined {
  if (!requirement.scope) return undefined;
  const id = request.params[requirement.scope.idParam];
  return id === undefined ? undefined : { type: requirement.scope.resourceType, id };
}
