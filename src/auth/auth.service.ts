import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { currentRequestContext } from '../common/request-context/request-context';
import { PermissionService } from '../rbac/permission.service';
import { LoginSucceeded, PasswordChanged } from './auth.events';
import { AuthException, AuthErrorCode } from './auth.exception';
import type { AuthenticatedUser } from './authenticated-user';
import type { LoginResponseDto } from './dto/login-response.dto';
import type { ProfileDto } from './dto/profile.dto';
import { User } from './entities/user.entity';
import { InSessionProofs } from './lockout/in-session-proofs.service';
import type { ChangePasswordDto } from './dto/change-password.dto';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { type LoginCredentials, LoginService } from './login.service';
import { PasswordHasher } from './password/password-hasher.service';
import { PasswordPolicy } from './password/password-policy.service';
import { SessionService } from './sessions/session.service';
import { TokenPairs } from './tokens/token-pairs.service';

/** Claims of the access token: who (sub) and which session (jti); nothing else is trusted from it. */
export interface AccessTokenClaims {
  sub: string;
  jti: string;
  username: string;
}

@Injectable()
export class AuthService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly sessions: SessionService,
    private readonly login: LoginService,
    private readonly tokens: TokenPairs,
    private readonly hasher: PasswordHasher,
    private readonly proofs: InSessionProofs,
    private readonly apiKeys: ApiKeysService,
    private readonly policy: PasswordPolicy,
    private readonly permissions: PermissionService,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  /**
   * Checks the credentials and opens a session with its access token. A
   * refusal still commits what it counted (failed attempts, a lock) and its
   * audit row; a success commits the session, the counters and its row together.
   */
  async logIn(credentials: LoginCredentials): Promise<LoginResponseDto> {
    const { user, usedRecoveryCode } = await this.login.verify(credentials);
    const session = await this.sessions.start(user);
    const pair = await this.tokens.issue(session, user.username);
    // The login's own audit row is then the new session's.
    const context = currentRequestContext();
    if (context) context.actor = { userId: user.id, username: user.username, sessionId: session.id };
    this.events.publish(new LoginSucceeded(user.id, user.username, session.id, usedRecoveryCode));
    return {
      ...pair,
      sessionId: session.id,
      user: {
        id: user.id,
        username: user.username,
        role: user.role,
        mustChangePassword: user.mustChangePassword,
        mfaEnabled: user.mfaEnabled,
      },
    };
  }

  async profile(caller: AuthenticatedUser): Promise<ProfileDto> {
    const user = await this.users.findOneByOrFail({ id: caller.id });
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      permissions: await this.permissions.effectivePermissions(user),
      mustChangePassword: user.mustChangePassword,
      mfaEnabled: user.mfaEnabled,
      lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
      createdAt: user.createdAt.toISOString(),
    };
  }

  /**
   * Changes the caller's password, ends their other sessions and (unless
   * `keepApiKeys`) revokes their API keys, in one transaction. The current
   * password is a guess of the lockout count, refused unchecked while locked.
   */
  async changePassword(caller: AuthenticatedUser, change: ChangePasswordDto): Promise<void> {
    const { currentPassword, newPassword } = change;
    if (currentPassword === newPassword) throw new AuthException(AuthErrorCode.SamePassword);
    const user = await this.proofs.check(
      caller.id,
      (current) => this.hasher.verify(currentPassword, current.passwordHash),
      new AuthException(AuthErrorCode.WrongCurrentPassword),
    );
    const problem = await this.policy.problem(newPassword, user);
    if (problem) throw new AuthException(AuthErrorCode.WeakPassword, problem);
    const passwordHash = await this.hasher.hash(newPassword);
    await this.users.update(
      { id: user.id },
      { passwordHash, mustChangePassword: false, passwordChangedAt: this.clock.now() },
    );
    await this.sessions.revokeAll(user.id, 'password_changed', { except: caller.sessionId });
    if (change.keepApiKeys !== true) await this.apiKeys.revokeAllOfOwner(user.id, user.id);
    this.events.publish(new PasswordChanged(user.id, user.username));
  }
}
