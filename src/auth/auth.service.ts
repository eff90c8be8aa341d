import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { currentRequestContext } from '../common/request-context/request-context';
import { Transactions } from '../database/transactions/transactions.service';
import { PermissionService } from '../rbac/permission.service';
import { LoginSucceeded, PasswordChanged } from './auth.events';
import { AuthException, AuthErrorCode } from './auth.exception';
import type { AuthenticatedUser } from './authenticated-user';
import type { LoginResponseDto } from './dto/login-response.dto';
import type { ProfileDto } from './dto/profile.dto';
import { User } from './entities/user.entity';
import { FailedAttemptsService } from './failed-attempts.service';
import { type LoginCredentials, LoginService } from './login.service';
import { PasswordHasher } from './password/password-hasher.service';
import { PasswordPolicy } from './password/password-policy.service';
import { SessionService } from './sessions/session.service';

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
    private readonly jwt: JwtService,
    private readonly hasher: PasswordHasher,
    private readonly failures: FailedAttemptsService,
    private readonly policy: PasswordPolicy,
    private readonly permissions: PermissionService,
    private readonly transactions: Transactions,
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
    const claims: AccessTokenClaims = { sub: user.id, jti: session.id, username: user.username };
    const accessToken = await this.jwt.signAsync(claims, {
      expiresIn: Math.floor((session.expiresAt.getTime() - session.createdAt.getTime()) / 1000),
    });
    // The login's own audit row is then the new session's.
    const context = currentRequestContext();
    if (context) context.actor = { userId: user.id, username: user.username, sessionId: session.id };
    this.events.publish(new LoginSucceeded(user.id, user.username, session.id, usedRecoveryCode));
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresAt: session.expiresAt.toISOString(),
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

  /** Changes the caller's password and ends every other session of theirs, in one transaction. */
  async changePassword(caller: AuthenticatedUser, currentPassword: string, newPassword: string): Promise<void> {
    // Read and hash before the transaction's first statement: no connection is held while hashing.
    const user = await this.transactions.outside(() => this.users.findOneByOrFail({ id: caller.id }));
    if (!(await this.hasher.verify(currentPassword, user.passwordHash))) {
      this.transactions.commitOnFailure();
      const outcome = await this.failures.record(user);
      if (outcome.lockedNow) await this.sessions.revokeAll(user.id, 'account_locked');
      throw new AuthException(AuthErrorCode.WrongCurrentPassword);
    }
    if (currentPassword === newPassword) throw new AuthException(AuthErrorCode.SamePassword);
    const problem = this.policy.problem(newPassword, user);
    if (problem) throw new AuthException(AuthErrorCode.WeakPassword, problem);
    const passwordHash = await this.hasher.hash(newPassword);
    await this.users.update(
      { id: user.id },
      { passwordHash, mustChangePassword: false, passwordChangedAt: this.clock.now() },
    );
    await this.sessions.revokeAll(user.id, 'password_changed', { except: caller.sessionId });
    this.events.publish(new PasswordChanged(user.id, user.username));
  }
}
