import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { authConfig } from '../../config';
import { User } from '../entities/user.entity';
import type { AttemptOutcome, LockScope } from './lockout-policy';

const MINUTE_MS = 60_000;

export interface AttemptSettlement {
  /** A success refused because a lock came while its hash ran. */
  refused: boolean;
  /** Set when this very failure locked. */
  locked?: { scope: LockScope; until: Date; failures: number };
}

interface SettleRow {
  refused: boolean;
  locked_scope: LockScope | null;
  locked_until: Date | null;
  failures: number;
}

/** The lockout's atomic statements; reserving and settling each take one round trip that locks the user row first. */
@Injectable()
export class LoginAttemptsRepository {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /**
   * Reads the user and reserves an attempt in the same round trip; undefined
   * for no such user (the attempt is then counted for the client in
   * login_unknown_attempts, so refusing it costs what a real one does). `granted` false: locked, or no attempt left to check
   * (`busy`: only because of attempts still in flight).
   */
  async reserve(
    who: { userId: string } | { username: string },
    clientIp: string,
    now: Date,
  ): Promise<{ user: User; granted: boolean; busy: boolean } | undefined> {
    const policy = this.config.lockout;
    const rows = await this.users.query<(Record<string, unknown> & { granted: boolean; busy: boolean })[]>(
      `SELECT u.*, r.granted, r.busy
         FROM login_attempt_reserve($1, $2, $3, $4, $5, $6, $7) r JOIN users u ON u.id = r.user_id`,
      [
        'userId' in who ? who.userId : null,
        'username' in who ? who.username : null,
        clientIp,
        now,
        policy.maxFailedAttempts,
        policy.maxFailedAttemptsPerAccount,
        policy.failureResetMinutes * MINUTE_MS,
      ],
    );
    const row = rows.at(0);
    if (!row) return undefined;
    const user = this.users.create();
    for (const column of this.users.metadata.columns) column.setEntityValue(user, row[column.databaseName]);
    return { user, granted: row.granted, busy: row.busy };
  }

  /** `client.key`: the pair's key; `client.loginIp`: the address a login records (null when unknown). */
  async settle(
    userId: string,
    client: { key: string; loginIp: string | null },
    now: Date,
    outcome: AttemptOutcome,
  ): Promise<AttemptSettlement> {
    const policy = this.config.lockout;
    const rows = await this.users.query<SettleRow[]>(
      `SELECT * FROM login_attempt_settle($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        userId,
        client.key,
        now,
        outcome,
        policy.maxFailedAttempts,
        policy.maxFailedAttemptsPerAccount,
        policy.lockoutMinutes * MINUTE_MS,
        policy.maxLockoutMinutes * MINUTE_MS,
        policy.permanentLockoutAfter,
        client.loginIp,
      ],
    );
    const row = rows.at(0);
    if (!row) return { refused: false };
    const locked =
      row.locked_scope && row.locked_until
        ? { scope: row.locked_scope, until: row.locked_until, failures: row.failures }
        : undefined;
    return { refused: row.refused, locked };
  }

  /**
   * Settles an attempt refused before its check (`userId` undefined: no such
   * user), so that it costs the round trip and the row write a checked one does.
   */
  async settleRefused(userId: string | undefined, clientIp: string, now: Date): Promise<void> {
    await this.users.query(`SELECT login_attempt_refuse($1, $2, $3)`, [userId ?? null, clientIp, now]);
  }

  /**
   * Forgets the counts whose window has passed with no lock in force, as the
   * next reservation would (login_attempt_reserve starts such a window from
   * nothing): without it, a client rotating addresses would grow the tables
   * by a row per address for good. Answers how many rows went.
   */
  async forgetFinished(now: Date): Promise<number> {
    const resetMs = this.config.lockout.failureResetMinutes * MINUTE_MS;
    const [pairs, unknown] = await Promise.all([
      this.users.query<[unknown[], number]>(
        `DELETE FROM login_failures
          WHERE coalesce(greatest(last_attempt_at, locked_until), '-infinity') + make_interval(secs => $2 / 1000.0) <= $1`,
        [now, resetMs],
      ),
      this.users.query<[unknown[], number]>(
        `DELETE FROM login_unknown_attempts WHERE last_attempt_at + make_interval(secs => $2 / 1000.0) <= $1`,
        [now, resetMs],
      ),
    ]);
    return pairs[1] + unknown[1];
  }

  /** Lifts every lock of the user and forgets every count: an admin's or the break-glass command's unlock. */
  async clear(userId: string): Promise<void> {
    await this.users.query(`DELETE FROM login_failures WHERE user_id = $1`, [userId]);
    await this.users.query(
      `UPDATE users SET failed_login_attempts = 0, locked_until = NULL, lockouts = 0, login_attempts_in_flight = 0
        WHERE id = $1`,
      [userId],
    );
  }

  /** The latest end of any lock on these users, the account's or one client's, when still in force. */
  async lockedUntil(userIds: string[], now: Date): Promise<Map<string, Date>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.users.query<{ id: string; until: Date }[]>(
      `SELECT u.id, greatest(u.locked_until, max(f.locked_until)) AS until
         FROM users u LEFT JOIN login_failures f ON f.user_id = u.id AND f.locked_until > $2
        WHERE u.id = ANY($1::uuid[])
        GROUP BY u.id, u.locked_until
       HAVING greatest(u.locked_until, max(f.locked_until)) > $2`,
      [userIds, now],
    );
    return new Map(rows.map((row) => [row.id, row.until]));
  }
}
