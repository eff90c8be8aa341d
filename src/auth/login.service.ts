import { Injectable } from '@nestjs/common';
import { DomainEvents } from '../common/events/domain-events.service';
import { Transactions } from '../database/transactions/transactions.service';
import { LoginFailed, type LoginFailureReason, RecoveryCodeUsed } from './auth.events';
import { AuthException, AuthErrorCode } from './auth.exception';
import type { User } from './entities/user.entity';
import type { AttemptOutcome } from './lockout/lockout-policy';
import { type AttemptReservation, LoginAttempts } from './lockout/login-attempts.service';
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

type Verdict = 'ok' | 'recovery_code' | Exclude<LoginFailureReason, 'unknown_user' | 'locked'>;

/** What each verdict does to the lockout count: a wrong guess counts; a right password with no code is no guess. */
const OUTCOME: Record<Verdict, AttemptOutcome> = {
  ok: 'login',
  recovery_code: 'login',
  bad_password: 'failure',
  bad_mfa_code: 'failure',
  inactive: 'release',
  mfa_code_missing: 'release',
};

/**
 * Checks a login attempt. The user is read and the attempt reserved in one
 * round trip before the hash runs (lockout/lockout-policy.ts: when an account
 * locks); the outcome, the counters and the session then commit in the
 * request's one transaction. Every refusal before the second factor looks the
 * same from outside (one message, a hash computed and the attempt settled
 * whether or not the account exists or is locked); only a caller who knows the password learns
 * that a code is needed.
 */
@Injectable()
export class LoginService {
  constructor(
    private readonly credentials: UserCredentialsRepository,
    private readonly hasher: PasswordHasher,
    private readonly mfa: MfaService,
    private readonly attempts: LoginAttempts,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  async verify(attempt: LoginCredentials): Promise<VerifiedLogin> {
    const reservation = await this.attempts.reserve({ username: attempt.username });
    if (!reservation?.granted) {
      await this.hasher.verifyNothing(attempt.password);
      await this.attempts.settleRefused(reservation);
      return this.refuse(attempt.username, reservation ? 'locked' : 'unknown_user', reservation?.user);
    }
    let verdict: Verdict;
    try {
      verdict = await this.check(reservation.user, attempt);
    } catch (error) {
      await this.attempts.release(reservation);
      throw error;
    }
    return this.conclude(reservation, attempt, verdict);
  }

  private async conclude(
    reservation: AttemptReservation,
    attempt: LoginCredentials,
    verdict: Verdict,
  ): Promise<VerifiedLogin> {
    const { user } = reservation;
    const settled = await this.attempts.settle(reservation, OUTCOME[verdict]);
    if (settled.refused) return this.refuse(user.username, 'locked', user);
    if (verdict === 'mfa_code_missing') {
      this.emitFailure(user.username, verdict, user.id);
      throw new AuthException(AuthErrorCode.MfaCodeRequired);
    }
    if (verdict !== 'ok' && verdict !== 'recovery_code') return this.refuse(user.username, verdict, user);
    if (verdict === 'recovery_code') this.events.publish(new RecoveryCodeUsed(user.id, user.username));
    // A stronger hash of the same password, unless it changed meanwhile.
    if (this.hasher.needsRehash(user.passwordHash)) {
      await this.credentials.upgradePasswordHash(user.id, user.passwordHash, await this.hasher.hash(attempt.password));
    }
    return { user, usedRecoveryCode: verdict === 'recovery_code' };
  }

  /** The password, the account state, then the second factor. */
  private async check(user: User, attempt: LoginCredentials): Promise<Verdict> {
    if (!(await this.hasher.verify(attempt.password, user.passwordHash))) return 'bad_password';
    if (!user.isActive) return 'inactive';
    if (!user.mfaEnabled) return 'ok';
    if (!attempt.totpCode && !attempt.recoveryCode) return 'mfa_code_missing';
    if (attempt.totpCode) return (await this.mfa.acceptTotpCode(user, attempt.totpCode)) ? 'ok' : 'bad_mfa_code';
    return (await this.mfa.consumeRecoveryCode(user.id, attempt.recoveryCode ?? '')) ? 'recovery_code' : 'bad_mfa_code';
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
