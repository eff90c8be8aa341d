import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, type Repository } from 'typeorm';
import { DomainEvents } from '../common/events/domain-events.service';
import { Transactions } from '../database/transactions/transactions.service';
import { Secret } from './entities/secret.entity';
import { MASTER_KEYRING, type MasterKeyring, type WrappedKey } from './keyring/master-keyring';
import { dataKeyPurpose } from './secret-cipher.service';
import { MasterKeyRewrapped } from './secrets.events';
import { SecretsErrorCode, SecretsException } from './secrets.exception';
import { TransitKeyVersion } from './transit/entities/transit-key-version.entity';
import { transitKeyPurpose } from './transit/transit.service';
import { JwtSigningKey } from './signing-keys/jwt-signing-key.entity';
import { signingKeyPurpose } from './signing-keys/jwt-signing-keys.service';

export interface RewrapReport {
  masterKeyId: string;
  secrets: number;
  transitKeyVersions: number;
  signingKeys: number;
}

/**
 * Moves every wrapped key (secrets' data keys, transit key versions) to the
 * newest master key, in one transaction; values and ciphertexts are not
 * touched, since their data keys stay the same. Once it reports, the older
 * master keys can leave SECRETS_MASTER_KEYS.
 */
@Injectable()
export class MasterKeyRewrapService {
  constructor(
    @InjectRepository(Secret) private readonly secrets: Repository<Secret>,
    @InjectRepository(TransitKeyVersion) private readonly transitVersions: Repository<TransitKeyVersion>,
    @InjectRepository(JwtSigningKey) private readonly signingKeys: Repository<JwtSigningKey>,
    @Inject(MASTER_KEYRING) private readonly keyring: MasterKeyring,
    private readonly transactions: Transactions,
    private readonly events: DomainEvents,
  ) {}

  rewrapAll(): Promise<RewrapReport> {
    return this.transactions.run(async () => {
      const active = this.keyring.activeId;
      const secrets = await this.secrets.find({
        where: { masterKeyId: Not(active) },
        lock: { mode: 'pessimistic_write' },
      });
      for (const secret of secrets) {
        const moved = this.move(
          { masterKeyId: secret.masterKeyId, wrapped: secret.dataKeyWrapped },
          dataKeyPurpose(secret.id),
          `secret ${secret.name}`,
        );
        await this.secrets.update({ id: secret.id }, { masterKeyId: moved.masterKeyId, dataKeyWrapped: moved.wrapped });
      }
      const versions = await this.transitVersions.find({
        where: { masterKeyId: Not(active) },
        lock: { mode: 'pessimistic_write' },
      });
      for (const version of versions) {
        const purpose = transitKeyPurpose(version.keyId, version.version);
        const moved = this.move(
          { masterKeyId: version.masterKeyId, wrapped: version.wrappedKey },
          purpose,
          `transit key ${version.keyId} v${version.version}`,
        );
        await this.transitVersions.update(
          { keyId: version.keyId, version: version.version },
          { masterKeyId: moved.masterKeyId, wrappedKey: moved.wrapped },
        );
      }
      const signingKeys = await this.rewrapSigningKeys(active);
      this.events.publish(new MasterKeyRewrapped(active, secrets.length, versions.length, signingKeys));
      return { masterKeyId: active, secrets: secrets.length, transitKeyVersions: versions.length, signingKeys };
    });
  }

  private async rewrapSigningKeys(active: string): Promise<number> {
    const keys = await this.signingKeys.find({
      where: { masterKeyId: Not(active) },
      lock: { mode: 'pessimistic_write' },
    });
    for (const key of keys) {
      const moved = this.move(
        { masterKeyId: key.masterKeyId, wrapped: key.privateKeySealed },
        signingKeyPurpose(key.kid),
        `JWT signing key ${key.kid}`,
      );
      await this.signingKeys.update(
        { kid: key.kid },
        { masterKeyId: moved.masterKeyId, privateKeySealed: moved.wrapped },
      );
    }
    return keys.length;
  }

  private move(wrapped: WrappedKey, purpose: string, what: string): WrappedKey {
    const key = this.keyring.unwrap(wrapped, purpose);
    if (!key) {
      throw new SecretsException(
        SecretsErrorCode.IntegrityFailed,
        `${what}: its master key "${wrapped.masterKeyId}" is not in the keyring, or the wrapped key was altered`,
      );
    }
    return this.keyring.wrap(key, purpose);
  }
}
