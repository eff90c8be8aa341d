import { type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { API_KEY_STRATEGY } from '../../api-keys/api-key.strategy';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { DomainException } from '../../common/errors/domain.exception';
import { authConfig } from '../../config';
import { isDatabaseUnavailable } from '../../database/postgres-errors.util';
import { AuthException, AuthErrorCode } from '../auth.exception';
import type { AuthenticatedUser } from '../authenticated-user';
import { ACCESS_REQUIREMENT, type AccessRequirement, AccountRestriction } from '../decorators/access.decorator';
import { JWT_STRATEGY } from '../strategies/jwt.strategy';

type AuthenticatedRequest = FastifyRequest & { user?: AuthenticatedUser };

/**
 * Global: every route authenticates (bearer token, else API key) unless
 * marked @Public(), and a route that declares no access requirement at all is
 * refused (secure by default). A user who must change their password or
 * enroll in MFA reaches only the routes that allow that state. An API key
 * reaches only routes whose permissions it carries, and no interactive-only
 * route; the permission guard then checks its owner's current permissions.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard([JWT_STRATEGY, API_KEY_STRATEGY]) {
  private readonly logger = new Logger(AuthenticationGuard.name);

  constructor(
    private readonly reflector: Reflector,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const requirement = this.reflector.getAllAndOverride<AccessRequirement | undefined>(ACCESS_REQUIREMENT, targets);
    if (!requirement) {
      this.logger.error(
        `${context.getClass().name}.${context.getHandler().name} declares neither @Public() nor @Authenticated()`,
      );
      throw new AuthException(AuthErrorCode.RouteAccessUndeclared);
    }
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const user = request.user;
    if (!user) throw new AuthException(AuthErrorCode.Unauthenticated);
    if (request.requestContext) {
      request.requestContext.actor = {
        userId: user.id,
        username: user.username,
        sessionId: user.sessionId,
        apiKeyId: user.apiKeyId,
      };
    }
    this.enforceRestrictions(user, requirement);
    if (user.apiKeyId) enforceKeyScope(user, requirement);
    return true;
  }

  /** Passport reports every failure here; all of them are the same 401. */
  override handleRequest<User = AuthenticatedUser>(error: unknown, user: User | false): User {
    // A database that cannot be asked is an outage (503), not a bad credential.
    if (error instanceof DomainException || isDatabaseUnavailable(error)) throw error;

    if (error || !user) throw new AuthException(AuthErrorCode.Unauthenticated);
    return user;
  }

  private enforceRestrictions(user: AuthenticatedUser, requirement: AccessRequirement): void {
    if (user.mustChangePassword && !requirement.allowRestricted.includes(AccountRestriction.PasswordChange)) {
      throw new AuthException(AuthErrorCode.PasswordChangeRequired);
    }
    const mfaRequired = this.config.mfaRequiredRoles.includes(user.role) && !user.mfaEnabled;
    if (mfaRequired && !requirement.allowRestricted.includes(AccountRestriction.MfaEnrollment)) {
      throw new AuthException(AuthErrorCode.MfaEnrollmentRequired);
    }
  }
}

function enforceKeyScope(user: AuthenticatedUser, requirement: AccessRequirement): void {
  if (requirement.interactiveOnly) throw new AuthException(AuthErrorCode.SessionRequired);
  const carried = user.apiKeyPermissions;
  if (carried && requirement.permissions.some((permission) => !carried.includes(permission))) {
    throw new AuthException(AuthErrorCode.ApiKeyScope);
  }
}
