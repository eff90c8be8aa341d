import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Transactions } from '../../database/transactions/transactions.service';
import { MASTER_KEYRING, type MasterKeyring } from '../../secrets/keyring/master-keyring';
import { User } from '../entities/user.entity';
import { openTotpSecret, sealTotpSecret, totpSecretKeyId } from './totp-secret.crypto';

/** For `secrets rewrap`: re-seals every TOTP secret under the newest master key. */
@Injectable()
export class TotpSecretsRewrap {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @Inject(MASTER_KEYRING) private readonly keyring: MasterKeyring,
    private readonly transactions: Transactions,
  ) {}

  rewrapAll(): Promise<number> {
    return this.transactions.run(async () => {
      const rows = await this.users
        .createQueryBuilder('user')
        .select(['user.id', 'user.totpSecret', 'user.totpPendingSecret'])
        .where('user.totp_secret IS NOT NULL OR user.totp_pending_secret IS NOT NULL')
        .setLock('pessimistic_write')
        .getMany();
      let moved = 0;
      for (const row of rows) {
        const secret = this.move(row.id, row.totpSecret);
        const pending = this.move(row.id, row.totpPendingSecret);
        if (secret === row.totpSecret && pending === row.totpPendingSecret) continue;
        await this.users.update({ id: row.id }, { totpSecret: secret, totpPendingSecret: pending });
        moved += 1;
      }
      return moved;
    });
  }

  private move(userId: string, stored: string | null): string | null {
    if (stored === null || totpSecretKeyId(stored) === this.keyring.activeId) return stored;
    const secret = openTotpSecret(this.keyring, userId, stored);
    if (secret === undefined) {
      throw new Error(`the TOTP secret of user ${userId} does not open: its master key is not in the keyring`);
    }
    return sealTotpSecret(this.keyring, userId, secret);
  }
}
