import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DomainEvents } from '../common/events/domain-events.service';
import { AccountLocked } from './auth.events';
import { User } from './entities/user.entity';
import { SessionService } from './sessions/session.service';

/**
 * Locks an account from outside the login path (the security monitor's
 * response to credential stuffing): until the given time, or longer if it is
 * already locked longer, with its sessions ended. An unlock by an admin
 * (POST /users/:id/unlock) lifts it like any lockout.
 */
@Injectable()
export class AccountLockService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly sessions: SessionService,
    private readonly events: DomainEvents,
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
    this.events.publish(new AccountLocked(userId, user.username, user.locked_until, user.failed_login_attempts));
    return true;
  }
}
