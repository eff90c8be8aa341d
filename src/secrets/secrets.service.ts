import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThanOrEqual, Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { type PageDto, page } from '../common/pagination/paginated';
import { secretsConfig } from '../config';
import { violatedUniqueConstraint } from '../database/postgres-errors.util';
import { type PreparedStatement, PreparedStatements } from '../database/prepared-statements.service';
import {
  type CreateSecretDto,
  type ListSecretsQueryDto,
  SecretDetailDto,
  SecretMetadataDto,
  SecretRotationDto,
  type SecretValueDto,
  SecretVersionDto,
  type WriteSecretDto,
} from './dto/secret.dto';
import { Secret } from './entities/secret.entity';
import { SecretRotation, type RotationTrigger } from './entities/secret-rotation.entity';
import { SecretVersion, type SecretVersionOrigin } from './entities/secret-version.entity';
import { SecretCipher } from './secret-cipher.service';
import { generateSecretValue, isGeneratable } from './secret-value.generator';
import {
  SecretCreated,
  SecretDeactivated,
  SecretDeleted,
  SecretRead,
  SecretRotated,
  SecretVersionDeleted,
  SecretVersionDestroyed,
  SecretVersionUndeleted,
  SecretVersionWritten,
} from './secrets.events';
import { SecretsErrorCode, SecretsException } from './secrets.exception';

const DAY_MS = 86_400_000;
const ROTATIONS_SHOWN = 50;

/** Who changes a secret: a user, or the rotation schedule (null). */
export type SecretActor = Pick<AuthenticatedUser, 'id'> | null;

/** A secret and the version asked for (default its current one): absent when there is no such secret. */
interface SecretValueRow {
  id: string;
  name: string;
  is_active: boolean;
  data_key_wrapped: Buffer;
  master_key_id: string;
  /** Null when the secret has no such version. */
  version: number | null;
  ciphertext: Buffer | null;
  deleted_at: Date | null;
  created_at: Date;
}

/** Every value read is one planned statement: no query builder or entities for the hottest secrets route. */
const SECRET_VALUE: PreparedStatement = {
  name: 'sentinel_secret_value',
  text: `SELECT s.id, s.name, s.is_active, s.data_key_wrapped, s.master_key_id,
                v.version, v.ciphertext, v.deleted_at, v.created_at
           FROM secrets s
           LEFT JOIN secret_versions v ON v.secret_id = s.id AND v.version = COALESCE($2::integer, s.current_version)
          WHERE s.name = $1`,
};

/** Versioned secrets in the manner of Vault's KV v2: every version kept (up to SECRETS_MAX_VERSIONS), cas on write. */
@Injectable()
export class SecretsService {
  constructor(
    @InjectRepository(Secret) private readonly secrets: Repository<Secret>,
    @InjectRepository(SecretVersion) private readonly versions: Repository<SecretVersion>,
    @InjectRepository(SecretRotation) private readonly rotations: Repository<SecretRotation>,
    @Inject(secretsConfig.KEY) private readonly config: ConfigType<typeof secretsConfig>,
    private readonly cipher: SecretCipher,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    private readonly statements: PreparedStatements,
  ) {}

  async create(caller: AuthenticatedUser, input: CreateSecretDto): Promise<SecretMetadataDto> {
    const value = input.value ?? generateSecretValue(input.type);
    if (value === undefined) throw new SecretsException(SecretsErrorCode.ValueRequired);
    if (await this.secrets.exists({ where: { name: input.name } }))
      throw new SecretsException(SecretsErrorCode.NameTaken);
    const secret = this.secrets.create({
      name: input.name,
      type: input.type,
      currentVersion: 0,
      encryptionAlgorithm: 'AES-256-GCM',
      rotationIntervalDays: input.rotationIntervalDays ?? this.config.defaultRotationIntervalDays,
      isActive: true,
      casRequired: input.casRequired ?? false,
      metadata: input.metadata ?? {},
      createdBy: caller.id,
      // Wrapped below, once the id that binds it is known.
      dataKeyWrapped: Buffer.alloc(0),
      masterKeyId: '',
    });
    const saved = await this.secrets.save(secret).catch((error: unknown) => {
      throw violatedUniqueConstraint(error) ? new SecretsException(SecretsErrorCode.NameTaken) : error;
    });
    const { dataKey, wrapped } = this.cipher.newDataKey(saved.id);
    saved.dataKeyWrapped = wrapped.wrapped;
    saved.masterKeyId = wrapped.masterKeyId;
    await this.addVersion(saved, value, 'create', caller.id, dataKey);
    this.events.publish(new SecretCreated(saved.id, saved.name, saved.type, input.value === undefined));
    return this.metadataOf(saved);
  }

  /** Metadata only, never a value; listing is not a read. */
  async list(query: ListSecretsQueryDto): Promise<PageDto<SecretMetadataDto>> {
    const builder = this.secrets.createQueryBuilder('secret').orderBy('secret.name', 'ASC');
    if (query.prefix) builder.where('starts_with(secret.name, :prefix)', { prefix: query.prefix });
    const [items, total] = await builder.take(query.limit).skip(query.offset).getManyAndCount();
    return page(
      items.map((secret) => this.metadataOf(secret)),
      total,
      query,
    );
  }

  async describe(name: string): Promise<SecretDetailDto> {
    const secret = await this.find(name);
    const [versions, rotations] = await Promise.all([
      this.versions.find({ where: { secretId: secret.id }, order: { version: 'ASC' } }),
      this.rotations.find({
        where: { secretId: secret.id },
        order: { rotatedAt: 'DESC', id: 'DESC' },
        take: ROTATIONS_SHOWN,
      }),
    ]);
    return Object.assign(this.metadataOf(secret), {
      versions: versions.map((version) => SecretVersionDto.from(version)),
      rotations: rotations.map((rotation) => SecretRotationDto.from(rotation)),
    });
  }

  /** The value of one version (default the current one), recorded as `secret.read` with who and from where. */
  async readValue(name: string, requested?: number): Promise<SecretValueDto> {
    const row = (await this.statements.rows<SecretValueRow>(SECRET_VALUE, [name, requested ?? null])).at(0);
    if (!row) throw new SecretsException(SecretsErrorCode.NotFound);
    if (!row.is_active) throw new SecretsException(SecretsErrorCode.Inactive);
    if (row.version === null) throw new SecretsException(SecretsErrorCode.VersionNotFound);
    if (!row.ciphertext) throw new SecretsException(SecretsErrorCode.VersionDestroyed);
    if (row.deleted_at) throw new SecretsException(SecretsErrorCode.VersionDeleted);
    const sealedBy = { id: row.id, masterKeyId: row.master_key_id, dataKeyWrapped: row.data_key_wrapped };
    const value = this.cipher.openValue(sealedBy, row.version, row.ciphertext);
    this.events.publish(new SecretRead(row.id, row.name, row.version));
    return { name: row.name, version: row.version, value, createdAt: row.created_at.toISOString() };
  }

  /** A new version; with `cas` (required where configured) only if nobody wrote since the caller read. */
  async write(caller: AuthenticatedUser, name: string, input: WriteSecretDto): Promise<SecretMetadataDto> {
    const secret = await this.findForUpdate(name);
    if (!secret.isActive) throw new SecretsException(SecretsErrorCode.Inactive);
    if (input.cas === undefined && (secret.casRequired || this.config.casRequired)) {
      throw new SecretsException(SecretsErrorCode.CasRequired);
    }
    if (input.cas !== undefined && input.cas !== secret.currentVersion) {
      throw new SecretsException(SecretsErrorCode.CasMismatch, `cas ${input.cas} is not the current version`);
    }
    const from = secret.currentVersion;
    await this.addVersion(secret, input.value, 'write', caller.id);
    await this.recordRotation(secret, from, 'write', caller.id);
    this.events.publish(new SecretVersionWritten(secret.id, secret.name, secret.currentVersion, input.cas ?? null));
    return this.metadataOf(secret);
  }

  /** A generated new version (manual, or by the schedule with a null actor). */
  async rotate(actor: SecretActor, name: string): Promise<SecretMetadataDto> {
    const secret = await this.findForUpdate(name);
    await this.rotateLocked(secret, actor);
    return this.metadataOf(secret);
  }

  /** For the schedule: rotates the locked secret `secret` (already found FOR UPDATE). */
  async rotateLocked(secret: Secret, actor: SecretActor): Promise<void> {
    if (!secret.isActive) throw new SecretsException(SecretsErrorCode.Inactive);
    const value = generateSecretValue(secret.type);
    if (value === undefined) throw new SecretsException(SecretsErrorCode.NotGeneratable);
    const from = secret.currentVersion;
    const trigger: RotationTrigger = actor ? 'manual' : 'schedule';
    await this.addVersion(secret, value, actor ? 'rotate' : 'schedule', actor?.id ?? null);
    await this.recordRotation(secret, from, trigger, actor?.id ?? null);
    this.events.publish(new SecretRotated(secret.id, secret.name, secret.currentVersion, from, trigger));
  }

  async deleteVersion(name: string, number: number): Promise<SecretDetailDto> {
    const { secret, version } = await this.findVersion(name, number);
    if (version.destroyedAt) throw new SecretsException(SecretsErrorCode.VersionDestroyed);
    if (!version.deletedAt) {
      await this.versions.update({ secretId: secret.id, version: number }, { deletedAt: this.clock.now() });
      this.events.publish(new SecretVersionDeleted(secret.id, secret.name, number));
    }
    return this.describe(name);
  }

  async undeleteVersion(name: string, number: number): Promise<SecretDetailDto> {
    const { secret, version } = await this.findVersion(name, number);
    if (version.destroyedAt) throw new SecretsException(SecretsErrorCode.VersionDestroyed);
    if (version.deletedAt) {
      await this.versions.update({ secretId: secret.id, version: number }, { deletedAt: null });
      this.events.publish(new SecretVersionUndeleted(secret.id, secret.name, number));
    }
    return this.describe(name);
  }

  /** The value is gone for good; the version's metadata stays. */
  async destroyVersion(name: string, number: number): Promise<SecretDetailDto> {
    const { secret, version } = await this.findVersion(name, number);
    if (!version.destroyedAt) {
      await this.versions.update(
        { secretId: secret.id, version: number },
        { ciphertext: null, destroyedAt: this.clock.now() },
      );
      this.events.publish(new SecretVersionDestroyed(secret.id, secret.name, number));
    }
    return this.describe(name);
  }

  async deactivate(name: string): Promise<SecretMetadataDto> {
    const secret = await this.findForUpdate(name);
    if (secret.isActive) {
      secret.isActive = false;
      await this.secrets.save(secret);
      this.events.publish(new SecretDeactivated(secret.id, secret.name, secret.currentVersion));
    }
    return this.metadataOf(secret);
  }

  /** The secret, every version and its history. */
  async remove(name: string): Promise<void> {
    const secret = await this.findForUpdate(name);
    await this.secrets.delete({ id: secret.id });
    this.events.publish(new SecretDeleted(secret.id, secret.name, secret.currentVersion));
  }

  metadataOf(secret: Secret): SecretMetadataDto {
    return SecretMetadataDto.from(secret, isGeneratable(secret.type));
  }

  private async addVersion(
    secret: Secret,
    value: string,
    origin: SecretVersionOrigin,
    actorId: string | null,
    dataKey = this.cipher.dataKeyOf(secret),
  ): Promise<void> {
    const number = secret.currentVersion + 1;
    const now = this.clock.now();
    await this.versions.insert({
      secretId: secret.id,
      version: number,
      ciphertext: this.cipher.sealValue(dataKey, secret.id, number, value),
      origin,
      createdBy: actorId,
    });
    Object.assign(secret, {
      currentVersion: number,
      lastRotatedAt: now,
      nextRotationAt: new Date(now.getTime() + secret.rotationIntervalDays * DAY_MS),
      expiringNotifiedAt: null,
      overdueNotifiedAt: null,
    });
    await this.secrets.save(secret);
    // Only the newest SECRETS_MAX_VERSIONS versions are kept.
    await this.versions.delete({ secretId: secret.id, version: LessThanOrEqual(number - this.config.maxVersions) });
  }

  private async recordRotation(
    secret: Secret,
    from: number,
    trigger: RotationTrigger,
    actorId: string | null,
  ): Promise<void> {
    await this.rotations.insert({
      secretId: secret.id,
      fromVersion: from,
      toVersion: secret.currentVersion,
      trigger,
      rotatedBy: actorId,
      rotatedAt: this.clock.now(),
    });
  }

  private async find(name: string): Promise<Secret> {
    const secret = await this.secrets.findOne({ where: { name } });
    if (!secret) throw new SecretsException(SecretsErrorCode.NotFound);
    return secret;
  }

  /** The row locked for the rest of the transaction, so two writers cannot both pass the cas check. */
  async findForUpdate(name: string): Promise<Secret> {
    const secret = await this.secrets.findOne({ where: { name }, lock: { mode: 'pessimistic_write' } });
    if (!secret) throw new SecretsException(SecretsErrorCode.NotFound);
    return secret;
  }

  private async findVersion(name: string, number: number): Promise<{ secret: Secret; version: SecretVersion }> {
    const secret = await this.findForUpdate(name);
    const version = await this.versions.findOne({ where: { secretId: secret.id, version: number } });
    if (!version) throw new SecretsException(SecretsErrorCode.VersionNotFound);
    return { secret, version };
  }
}
