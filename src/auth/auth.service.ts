import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { PermissionService } from '../rbac/permission.service';
import { AuthException, AuthErrorCode } from './auth.exception';
import type { AuthenticatedUser } from './authenticated-user';
import type { LoginResponseDto } from './dto/login-response.dto';
import type { ProfileDto } from './dto/profile.dto';
import { User } from './entities/user.entity';
import { AuthEvent, type LoginSucceededEvent, type RequestOrigin, type UserSecurityEvent } from './events/auth.events';
import type { VerifiedLogin } from './login.service';
import { FailedAttemptsService } from './failed-attempts.service';
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
    private readonly jwt: JwtService,
    private readonly hasher: PasswordHasher,
    private readonly failures: FailedAttemptsService,
    private readonly policy: PasswordPolicy,
    private readonly permissions: PermissionService,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
  ) {}

  /** Opens a session for a verified login and signs its access token. */
  async startSession(login: VerifiedLogin, origin: RequestOrigin): Promise<LoginResponseDto> {
    const { user } = login;
    const session = await this.sessions.start(user, origin);
    const claims: AccessTokenClaims = { sub: user.id, jti: session.id, username: user.username };
    const accessToken = await this.jwt.signAsync(claims, {
      expiresIn: Math.floor((session.expiresAt.getTime() - session.createdAt.getTime()) / 1000),
    });
    const event: LoginSucceededEvent = {
      userId: user.id,
      username: user.username,
      sessionId: session.id,
      usedRecoveryCode: login.usedRecoveryCode,
      ...origin,
    };
    this.events.emit(AuthEvent.LoginSucceeded, event);
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

  /** Changes the caller's password and ends every other session of theirs. */
  async changePassword(
    caller: AuthenticatedUser,
    currentPassword: string,
    newPassword: string,
    origin: RequestOrigin,
  ): Promise<void> {
    const user = await this.users.findOneByOrFail({ id: caller.id });
    if (!(await this.hasher.verify(currentPassword, user.passwordHash))) {
      const outcome = await this.failures.record(user, origin);
      if (outcome.lockedNow) await this.sessions.revokeAll(user.id, 'account_locked');
      throw new AuthException(AuthErrorCode.WrongCurrentPassword);
    }
    if (currentPassword === newPassword) throw new AuthException(AuthErrorCode.SamePassword);
    const problem = this.policy.problem(newPassword, user);
    if (problem) throw new AuthException(AuthErrorCode.WeakPassword, problem);
    await this.users.update(
      { id: user.id },
      {
        passwordHash: await this.hasher.hash(newPassword),
        mustChangePassword: false,
        passwordChangedAt: this.clock.now(),
      },
    );
    await this.sessions.revokeAll(user.id, 'password_changed', { except: caller.sessionId });
    const event: UserSecurityEvent = { userId: user.id, username: user.username, ...origin };
    this.events.emit(AuthEvent.PasswordChanged, event);
  }
}
