import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from './entities/user.entity';

export interface FailedAttemptOutcome {
  failedAttempts: number;
  lockedUntil: Date | null;
  /** True when this very failure locked the account. */
  lockedNow: boolean;
}

/**
 * The writes of the login path that several instances may race on, each one
 * a single atomic UPDATE so that no instance works from a stale count.
 */
@Injectable()
export class UserCredentialsRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findByUsername(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .where('lower(user.username) = lower(:username)', { username })
      .getOne();
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /**
   * Counts one failure; the MAX_FAILED_ATTEMPTS-th consecutive one locks the
   * account until `now + lockout`. A lock that has already run out starts a
   * fresh count instead of locking again at once.
   */
  async recordFailedAttempt(
    userId: string,
    now: Date,
    maxAttempts: number,
    lockoutMs: number,
  ): Promise<FailedAttemptOutcome> {
    // TypeORM answers a raw UPDATE with [rows, affected count], not with the rows alone.
    const [rows] = await this.users.query<
      [{ failed_login_attempts: number; locked_until: Date | null; locked_now: boolean }[], number]
    >(
      `WITH counted AS (
         SELECT id,
                CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1
                     ELSE failed_login_attempts + 1 END AS attempts,
                CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN NULL
                     ELSE locked_until END AS current_lock
           FROM users WHERE id = $1 FOR UPDATE
       )
       UPDATE users SET
              failed_login_attempts = counted.attempts,
              locked_until = CASE WHEN counted.attempts >= $3 AND counted.current_lock IS NULL
                                  THEN $2::timestamptz + make_interval(secs => $4 / 1000.0)
                                  ELSE counted.current_lock END
         FROM counted
        WHERE users.id = counted.id
    RETURNING users.failed_login_attempts,
              users.locked_until,
              (counted.attempts >= $3 AND counted.current_lock IS NULL) AS locked_now`,
      [userId, now, maxAttempts, lockoutMs],
    );
    const [row] = rows;
    return { failedAttempts: row.failed_login_attempts, lockedUntil: row.locked_until, lockedNow: row.locked_now };
  }

  async recordSuccessfulLogin(userId: string, now: Date, ip: string | undefined): Promise<void> {
    await this.users.update(
      { id: userId },
      { failedLoginAttempts: 0, lockedUntil: null, lastLoginAt: now, lastLoginIp: ip ?? null },
    );
  }

  /**
   * Swaps in a stronger hash of the same password, only if the stored hash is
   * still `previousHash`: a password changed meanwhile must not be reverted.
   */
  async upgradePasswordHash(userId: string, previousHash: string, passwordHash: string): Promise<boolean> {
    const result = await this.users.update({ id: userId, passwordHash: previousHash }, { passwordHash });
    return result.affected === 1;
  }

  /**
   * Marks a TOTP time step as used; false when it (or a later one) already
   * was, which is how a code is accepted only once across instances.
   */
  async claimTotpStep(userId: string, step: number): Promise<boolean> {
    const result = await this.users
      .createQueryBuilder()
      .update()
      .set({ totpLastUsedStep: String(step) })
      .where('id = :userId AND (totp_last_used_step IS NULL OR totp_last_used_step < :step)', { userId, step })
      .execute();
    return result.affected === 1;
  }
}
