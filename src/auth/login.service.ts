import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from '../common/clock/clock';
import { AuthException, AuthErrorCode } from './auth.exception';
import type { User } from './entities/user.entity';
import { AuthEvent, type LoginFailedEvent, type LoginFailureReason, type RequestOrigin } from './events/auth.events';
import { FailedAttemptsService } from './failed-attempts.service';
import { MfaService } from './mfa/mfa.service';
import { PasswordHasher } from './password/password-hasher.service';
import { UserCredentialsRepository } from './user-credentials.repository';

export interface LoginCredentials {
  username: string;
  password: string;
  totpCode?: string;
  recoveryCode?: string;
}

export interface VerifiedLogin {
  user: User;
  usedRecoveryCode: boolean;
}

/**
 * Checks a login attempt. Every refusal before the second factor looks the
 * same from outside (one message, and a password hash computed whether or not
 * the account exists, is locked or is deactivated); only a caller who knows
 * the password learns that a code is needed.
 */
@Injectable()
export class LoginService {
  constructor(
    private readonly credentials: UserCredentialsRepository,
    private readonly hasher: PasswordHasher,
    private readonly mfa: MfaService,
    private readonly failures: FailedAttemptsService,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
  ) {}

  async verify(attempt: LoginCredentials, origin: RequestOrigin): Promise<VerifiedLogin> {
    const now = this.clock.now();
    const user = await this.credentials.findByUsername(attempt.username);
    if (!user) {
      await this.hasher.verifyNothing(attempt.password);
      return this.refuse(attempt.username, 'unknown_user', origin);
    }
    if (user.lockedUntil && user.lockedUntil > now) {
      await this.hasher.verifyNothing(attempt.password);
      return this.refuse(attempt.username, 'locked', origin, user);
    }
    if (!(await this.hasher.verify(attempt.password, user.passwordHash))) {
      return this.countFailure(user, 'bad_password', origin);
    }
    if (!user.isActive) return this.refuse(attempt.username, 'inactive', origin, user);
    const usedRecoveryCode = await this.checkSecondFactor(user, attempt, origin);
    await this.credentials.recordSuccessfulLogin(user.id, now, origin.ip);
    await this.upgradeHashIfWeak(user, attempt.password);
    return { user, usedRecoveryCode };
  }

  /** True when a recovery code was spent; throws when MFA is on and no valid code came. */
  private async checkSecondFactor(user: User, attempt: LoginCredentials, origin: RequestOrigin): Promise<boolean> {
    if (!user.mfaEnabled) return false;
    if (!attempt.totpCode && !attempt.recoveryCode) {
      this.emitFailure(user.username, 'mfa_code_missing', origin, user.id);
      throw new AuthException(AuthErrorCode.MfaCodeRequired);
    }
    const accepted = attempt.totpCode
      ? await this.mfa.acceptTotpCode(user, attempt.totpCode)
      : await this.mfa.consumeRecoveryCode(user.id, attempt.recoveryCode ?? '');
    if (!accepted) await this.countFailure(user, 'bad_mfa_code', origin);
    return !attempt.totpCode;
  }

  private async countFailure(user: User, reason: LoginFailureReason, origin: RequestOrigin): Promise<never> {
    await this.failures.record(user, origin);
    return this.refuse(user.username, reason, origin, user);
  }

  private refuse(username: string, reason: LoginFailureReason, origin: RequestOrigin, user?: User): never {
    this.emitFailure(username, reason, origin, user?.id);
    throw new AuthException(AuthErrorCode.InvalidCredentials);
  }

  private emitFailure(username: string, reason: LoginFailureReason, origin: RequestOrigin, userId?: string): void {
    const event: LoginFailedEvent = { username: username.slice(0, 64), userId, reason, ...origin };
    this.events.emit(AuthEvent.LoginFailed, event);
  }

  private async upgradeHashIfWeak(user: User, password: string): Promise<void> {
    if (!this.hasher.needsRehash(user.passwordHash)) return;
    await this.credentials.upgradePasswordHash(user.id, user.passwordHash, await this.hasher.hash(password));
  }
}
