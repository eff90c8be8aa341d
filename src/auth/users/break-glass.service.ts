import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ApiKeysService } from '../../api-keys/api-keys.service';
import { SYSTEM_ACTOR } from '../../audit/audit-entry';
import { DomainEvents } from '../../common/events/domain-events.service';
import { Transactions } from '../../database/transactions/transactions.service';
import { User } from '../entities/user.entity';
import { AccountLockService } from '../lockout/account-lock.service';
import { PasswordHasher } from '../password/password-hasher.service';
import { SessionService } from '../sessions/session.service';
import { UserPasswordReset, UserUnlocked } from './users.events';

/**
 * What `npm run sentinel -- users ...` does with the server stopped, when no
 * admin can log in: unlock an account, or give it a one-time password. Each
 * is one transaction, audited as a system action.
 */
@Injectable()
export class BreakGlassService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly locks: AccountLockService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly apiKeys: ApiKeysService,
    private readonly transactions: Transactions,
    private readonly events: DomainEvents,
  ) {}

  /** False when there is no such user. */
  async unlock(username: string): Promise<boolean> {
    return this.transactions.run(async () => {
      const user = await this.find(username);
      if (!user) return false;
      await this.locks.unlock(user.id);
      this.events.publish(new UserUnlocked(SYSTEM_ACTOR, user.id, user.username, { via: 'cli' }));
      return true;
    });
  }

  /**
   * A one-time password (to be changed at the next login), the lockout lifted,
   * every session ended and every API key revoked; undefined for no such user.
   */
  async resetPassword(username: string): Promise<string | undefined> {
    const oneTimePassword = randomBytes(18).toString('base64url');
    const passwordHash = await this.hasher.hash(oneTimePassword);
    return this.transactions.run(async () => {
      const user = await this.find(username);
      if (!user) return undefined;
      await this.users.update({ id: user.id }, { passwordHash, mustChangePassword: true });
      await this.locks.unlock(user.id);
      await this.sessions.revokeAll(user.id, 'password_reset');
      const revokedKeys = await this.apiKeys.revokeAllOfOwner(user.id, SYSTEM_ACTOR);
      this.events.publish(new UserPasswordReset(SYSTEM_ACTOR, user.id, user.username, { via: 'cli', revokedKeys }));
      return oneTimePassword;
    });
  }

  private find(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .setLock('pessimistic_write')
      .where('lower(user.username) = lower(:username)', { username })
      .getOne();
  }
}
