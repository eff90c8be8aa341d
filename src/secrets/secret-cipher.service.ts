import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainEvents } from '../common/events/domain-events.service';
import { open, seal } from './keyring/aes-gcm.util';
import { MASTER_KEYRING, type MasterKeyring, type WrappedKey } from './keyring/master-keyring';
import type { Secret } from './entities/secret.entity';
import { SecretIntegrityFailed } from './secrets.events';
import { SecretsErrorCode, SecretsException } from './secrets.exception';

/** The associated data of a secret's data key: it unwraps only for that secret. */
export const dataKeyPurpose = (secretId: string): string => `secret-data-key:${secretId}`;
/** The associated data of a value: a ciphertext moved to another secret or version does not verify. */
const valueAad = (secretId: string, version: number): Buffer => Buffer.from(`secret:${secretId}:v${version}`, 'utf8');

/** What a secret's values are sealed by: its data key, wrapped under a master key. */
export type SealedBy = Pick<Secret, 'id' | 'masterKeyId' | 'dataKeyWrapped'>;

/**
 * Envelope encryption of secret values: each secret has its own random
 * AES-256 data key, wrapped by the newest master key; each version's value is
 * sealed with AES-256-GCM under that data key, bound to the secret id and version.
 */
@Injectable()
export class SecretCipher {
  constructor(
    @Inject(MASTER_KEYRING) private readonly keyring: MasterKeyring,
    private readonly events: DomainEvents,
  ) {}

  /** A new data key for the secret `secretId`, wrapped; the plain key is only returned for immediate use. */
  newDataKey(secretId: string): { dataKey: Buffer; wrapped: WrappedKey } {
    const dataKey = randomBytes(32);
    return { dataKey, wrapped: this.keyring.wrap(dataKey, dataKeyPurpose(secretId)) };
  }

  dataKeyOf(secret: SealedBy): Buffer {
    const dataKey = this.keyring.unwrap(
      { masterKeyId: secret.masterKeyId, wrapped: secret.dataKeyWrapped },
      dataKeyPurpose(secret.id),
    );
    if (!dataKey) this.integrityFailed(secret.id, 'data-key', null);
    return dataKey;
  }

  sealValue(dataKey: Buffer, secretId: string, version: number, value: string): Buffer {
    return seal(dataKey, Buffer.from(value, 'utf8'), valueAad(secretId, version));
  }

  openValue(secret: SealedBy, version: number, ciphertext: Buffer): string {
    const plain = open(this.dataKeyOf(secret), ciphertext, valueAad(secret.id, version));
    if (!plain) this.integrityFailed(secret.id, 'value', version);
    return plain.toString('utf8');
  }

  private integrityFailed(secretId: string, what: 'data-key' | 'value', version: number | null): never {
    this.events.publish(new SecretIntegrityFailed('secret', secretId, what, version));
    throw new SecretsException(SecretsErrorCode.IntegrityFailed);
  }
}
