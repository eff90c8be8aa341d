import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { AccountLocked } from '../auth.events';
import { User } from '../entities/user.entity';
import { SessionService } from '../sessions/session.service';
import { LoginAttemptsRepository } from './login-attempts.repository';

/**
 * Locks an account from outside the login path (the security monitor's
 * response to credential stuffing): until the given time, or longer if it is
 * already locked longer, with its sessions ended; and unlocks (an admin's
 * POST /users/:id/unlock, or `npm run sentinel -- users unlock`).
 */
@Injectable()
export class AccountLockService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly sessions: SessionService,
    private readonly events: DomainEvents,
    private readonly attempts: LoginAttemptsRepository,
    private readonly clock: Clock,
  ) {}

  /** False when there is no such user. */
  async lock(userId: string, until: Date): Promise<boolean> {
    const [rows] = await this.users.query<
      [{ username: string; locked_until: Date; failed_login_attempts: number }[], number]
    >(
      `UPDATE users SET locked_until = greatest(coalesce(locked_until, $2), $2)
        WHERE id = $1 RETURNING username, locked_until, failed_login_attempts`,
      [userId, until],
    );
    const user = rows.at(0);
    if (!user) return false;
    await this.sessions.revokeAll(userId, 'account_locked');
    this.events.publish(
      new AccountLocked(userId, user.username, user.locked_until, user.failed_login_attempts, 'account'),
    );
    return true;
  }

  /** Lifts every lock of the user, the account's and each client's, and forgets the counts. */
  async unlock(userId: string): Promise<void> {
    await this.attempts.clear(userId);
  }

  /** The latest end of each user's locks in force (the account's or any client's); users without one are absent. */
  lockEnds(userIds: string[]): Promise<Map<string, Date>> {
    return this.attempts.lockedUntil(userIds, this.clock.now());
  }
}
