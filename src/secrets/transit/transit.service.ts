import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { DomainEvents } from '../../common/events/domain-events.service';
import { violatedUniqueConstraint } from '../../database/postgres-errors.util';
import { type PreparedStatement, PreparedStatements } from '../../database/prepared-statements.service';
import { open, seal } from '../keyring/aes-gcm.util';
import { MASTER_KEYRING, type MasterKeyring } from '../keyring/master-keyring';
import {
  SecretIntegrityFailed,
  TransitKeyConfigured,
  TransitKeyCreated,
  TransitKeyDeleted,
  TransitKeyRotated,
} from '../secrets.events';
import { SecretsErrorCode, SecretsException } from '../secrets.exception';
import type {
  CiphertextDto,
  ConfigureTransitKeyDto,
  DecryptedDto,
  EncryptDto,
  EncryptedDto,
  TransitKeyDto,
} from './dto/transit.dto';
import { TransitKey } from './entities/transit-key.entity';
import { TransitKeyVersion } from './entities/transit-key-version.entity';

const CIPHERTEXT = /^sentinel:v([1-9][0-9]{0,8}):([A-Za-z0-9+/]+={0,2})$/;

/** The associated data a transit key version is wrapped with. */
export const transitKeyPurpose = (keyId: string, version: number): string => `transit-key:${keyId}:v${version}`;

interface KeyVersionRow {
  id: string;
  latest_version: number;
  min_decryption_version: number;
  version: number;
  wrapped_key: Buffer;
  master_key_id: string;
}

/** The key with one version (default its latest): every encrypt, decrypt and rewrap makes this one statement. */
const KEY_VERSION: PreparedStatement = {
  name: 'sentinel_transit_key_version',
  text: `SELECT k.id, k.latest_version, k.min_decryption_version, v.version, v.wrapped_key, v.master_key_id
           FROM transit_keys k
           LEFT JOIN transit_key_versions v ON v.key_id = k.id AND v.version = COALESCE($2::integer, k.latest_version)
          WHERE k.name = $1`,
};

/** A key found without the version asked for (the LEFT JOIN found none). */
type KeyVersionLookup = Omit<KeyVersionRow, 'version' | 'wrapped_key' | 'master_key_id'> &
  ({ version: number; wrapped_key: Buffer; master_key_id: string } | { version: null });

/**
 * Encryption as a service, after Vault's transit engine: callers send data
 * and get `sentinel:v<N>:<base64>` back, never holding a key. Each version is
 * a random AES-256 key wrapped by the master keyring; the optional context is
 * bound as associated data.
 */
@Injectable()
export class TransitService {
  constructor(
    @InjectRepository(TransitKey) private readonly keys: Repository<TransitKey>,
    @InjectRepository(TransitKeyVersion) private readonly versions: Repository<TransitKeyVersion>,
    @Inject(MASTER_KEYRING) private readonly keyring: MasterKeyring,
    private readonly statements: PreparedStatements,
    private readonly events: DomainEvents,
  ) {}

  async createKey(caller: AuthenticatedUser, name: string): Promise<TransitKeyDto> {
    if (await this.keys.exists({ where: { name } })) throw new SecretsException(SecretsErrorCode.TransitKeyExists);
    const key = await this.keys
      .save(
        this.keys.create({
          name,
          latestVersion: 1,
          minDecryptionVersion: 1,
          deletionAllowed: false,
          createdBy: caller.id,
        }),
      )
      .catch((error: unknown) => {
        throw violatedUniqueConstraint(error) ? new SecretsException(SecretsErrorCode.TransitKeyExists) : error;
      });
    await this.addVersion(key.id, 1);
    this.events.publish(new TransitKeyCreated(key.id, key.name, 1));
    return this.describe(name);
  }

  async describe(name: string): Promise<TransitKeyDto> {
    const key = await this.find(name);
    const versions = await this.versions.find({ where: { keyId: key.id }, order: { version: 'ASC' } });
    return {
      name: key.name,
      latestVersion: key.latestVersion,
      minDecryptionVersion: key.minDecryptionVersion,
      deletionAllowed: key.deletionAllowed,
      type: 'aes256-gcm96',
      versions: versions.map((version) => ({ version: version.version, createdAt: version.createdAt.toISOString() })),
      createdAt: key.createdAt.toISOString(),
    };
  }

  async rotateKey(name: string): Promise<TransitKeyDto> {
    const key = await this.find(name, true);
    key.latestVersion += 1;
    await this.addVersion(key.id, key.latestVersion);
    await this.keys.save(key);
    this.events.publish(new TransitKeyRotated(key.id, key.name, key.latestVersion));
    return this.describe(name);
  }

  async configure(name: string, input: ConfigureTransitKeyDto): Promise<TransitKeyDto> {
    const key = await this.find(name, true);
    const min = input.minDecryptionVersion ?? key.minDecryptionVersion;
    if (min > key.latestVersion) throw new SecretsException(SecretsErrorCode.TransitInvalidConfig);
    key.minDecryptionVersion = min;
    key.deletionAllowed = input.deletionAllowed ?? key.deletionAllowed;
    await this.keys.save(key);
    this.events.publish(new TransitKeyConfigured(key.id, key.name, key.latestVersion));
    return this.describe(name);
  }

  async deleteKey(name: string): Promise<void> {
    const key = await this.find(name, true);
    if (!key.deletionAllowed) throw new SecretsException(SecretsErrorCode.TransitDeletionNotAllowed);
    await this.keys.delete({ id: key.id });
    this.events.publish(new TransitKeyDeleted(key.id, key.name, key.latestVersion));
  }

  async encrypt(name: string, input: EncryptDto): Promise<EncryptedDto> {
    const row = await this.keyVersion(name);
    const sealed = seal(this.unwrap(row), Buffer.from(input.plaintext, 'base64'), aad(row, input.context));
    return { ciphertext: `sentinel:v${row.version}:${sealed.toString('base64')}`, keyVersion: row.version };
  }

  async decrypt(name: string, input: CiphertextDto): Promise<DecryptedDto> {
    return { plaintext: (await this.open(name, input)).toString('base64') };
  }

  /** The same plaintext under the newest version, without it ever leaving the service. */
  async rewrap(name: string, input: CiphertextDto): Promise<EncryptedDto> {
    const plaintext = await this.open(name, input);
    return this.encrypt(name, { plaintext: plaintext.toString('base64'), context: input.context });
  }

  private async open(name: string, input: CiphertextDto): Promise<Buffer> {
    const match = CIPHERTEXT.exec(input.ciphertext);
    if (!match) throw new SecretsException(SecretsErrorCode.TransitInvalidCiphertext);
    const version = Number(match[1]);
    const row = await this.keyVersion(name, version);
    const plaintext = open(this.unwrap(row), Buffer.from(match[2], 'base64'), aad(row, input.context));
    if (!plaintext) throw new SecretsException(SecretsErrorCode.TransitInvalidCiphertext);
    return plaintext;
  }

  /** The key with one version (default its latest) in one query; a version below minDecryptionVersion is refused. */
  private async keyVersion(name: string, version?: number): Promise<KeyVersionRow> {
    const row = (await this.statements.rows<KeyVersionLookup>(KEY_VERSION, [name, version ?? null])).at(0);
    if (!row) throw new SecretsException(SecretsErrorCode.TransitKeyNotFound);
    if (row.version === null) throw new SecretsException(SecretsErrorCode.TransitInvalidCiphertext);
    if (version !== undefined && version < row.min_decryption_version) {
      throw new SecretsException(SecretsErrorCode.TransitVersionTooOld);
    }
    return row;
  }

  private unwrap(row: KeyVersionRow): Buffer {
    const key = this.keyring.unwrap(
      { masterKeyId: row.master_key_id, wrapped: row.wrapped_key },
      transitKeyPurpose(row.id, row.version),
    );
    if (key) return key;
    this.events.publish(new SecretIntegrityFailed('transit-key', row.id, 'key-version', row.version));
    throw new SecretsException(SecretsErrorCode.IntegrityFailed);
  }

  private async addVersion(keyId: string, version: number): Promise<void> {
    const wrapped = this.keyring.wrap(randomBytes(32), transitKeyPurpose(keyId, version));
    await this.versions.insert({ keyId, version, wrappedKey: wrapped.wrapped, masterKeyId: wrapped.masterKeyId });
  }

  private async find(name: string, forUpdate = false): Promise<TransitKey> {
    const key = await this.keys.findOne({
      where: { name },
      ...(forUpdate ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!key) throw new SecretsException(SecretsErrorCode.TransitKeyNotFound);
    return key;
  }
}

function aad(row: KeyVersionRow, context: string | undefined): Buffer {
  const prefix = Buffer.from(`transit:${row.id}:v${row.version}:`, 'utf8');
  return context ? Buffer.concat([prefix, Buffer.from(context, 'base64')]) : prefix;
}
