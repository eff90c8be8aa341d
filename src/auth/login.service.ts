import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { Transactions } from '../database/transactions/transactions.service';
import { DomainEvents } from '../common/events/domain-events.service';
import { currentRequestClient } from '../common/request-context/request-origin';
import { LoginFailed, type LoginFailureReason, RecoveryCodeUsed } from './auth.events';
import { AuthException, AuthErrorCode } from './auth.exception';
import type { User } from './entities/user.entity';
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
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  async verify(attempt: LoginCredentials): Promise<VerifiedLogin> {
    const now = this.clock.now();
    // Read before the hash runs, outside the request's transaction: no connection waits on the hash.
    const user = await this.transactions.outside(() => this.credentials.findByUsername(attempt.username));
    if (!user) {
      await this.hasher.verifyNothing(attempt.password);
      return this.refuse(attempt.username, 'unknown_user');
    }
    if (user.lockedUntil && user.lockedUntil > now) {
      await this.hasher.verifyNothing(attempt.password);
      return this.refuse(attempt.username, 'locked', user);
    }
    if (!(await this.hasher.verify(attempt.password, user.passwordHash))) {
      return this.countFailure(user, 'bad_password');
    }
    if (!user.isActive) return this.refuse(attempt.username, 'inactive', user);
    const strongerHash = this.hasher.needsRehash(user.passwordHash)
      ? await this.hasher.hash(attempt.password)
      : undefined;
    const usedRecoveryCode = await this.checkSecondFactor(user, attempt);
    await this.credentials.recordSuccessfulLogin(user.id, now, currentRequestClient().ip ?? undefined);
    // A stronger hash of the same password, unless it changed meanwhile.
    if (strongerHash) await this.credentials.upgradePasswordHash(user.id, user.passwordHash, strongerHash);
    return { user, usedRecoveryCode };
  }

  /** True when a recovery code was spent; throws when MFA is on and no valid code came. */
  private async checkSecondFactor(user: User, attempt: LoginCredentials): Promise<boolean> {
    if (!user.mfaEnabled) return false;
    if (!attempt.totpCode && !attempt.recoveryCode) {
      this.emitFailure(user.username, 'mfa_code_missing', user.id);
      throw new AuthException(AuthErrorCode.MfaCodeRequired);
    }
    const accepted = attempt.totpCode
      ? await this.mfa.acceptTotpCode(user, attempt.totpCode)
      : await this.mfa.consumeRecoveryCode(user.id, attempt.recoveryCode ?? '');
    if (!accepted) await this.countFailure(user, 'bad_mfa_code');
    if (attempt.totpCode) return false;
    this.events.publish(new RecoveryCodeUsed(user.id, user.username));
    return true;
  }

  private async countFailure(user: User, reason: LoginFailureReason): Promise<never> {
    this.transactions.commitOnFailure();
    await this.failures.record(user);
    return this.refuse(user.username, reason, user);
  }

  private refuse(username: string, reason: LoginFailureReason, user?: User): never {
    this.emitFailure(username, reason, user?.id);
    throw new AuthException(AuthErrorCode.InvalidCredentials);
  }

  /** A refusal commits what it counted and its record, although the login fails. */
  private emitFailure(username: string, reason: LoginFailureReason, userId?: string): void {
    this.transactions.commitOnFailure();
    this.events.publish(new LoginFailed(username.slice(0, 64), reason, userId));
  }
}
