import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { type PageDto, page } from '../common/pagination/paginated';
import { apiKeysConfig } from '../config';
import { Permission } from '../rbac/permission';
import { PermissionService } from '../rbac/permission.service';
import { generateApiKey, newSecretFor } from './api-key-format';
import { ApiKeyIssued, ApiKeyRevoked, ApiKeyRotated } from './api-keys.events';
import { ApiKeyVerifier } from './api-key-verifier.service';
import { ApiKeyException, ApiKeyErrorCode } from './api-keys.exception';
import type { CreateApiKeyDto, IssuedApiKeyDto, ListApiKeysQueryDto } from './dto/api-key.dto';
import { ApiKey } from './entities/api-key.entity';
import { SYSTEM_ACTOR } from '../audit/audit-entry';

const DAY_MS = 86_400_000;

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    @Inject(apiKeysConfig.KEY) private readonly config: ConfigType<typeof apiKeysConfig>,
    private readonly verifier: ApiKeyVerifier,
    private readonly permissions: PermissionService,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  /** Issues a key for the caller; the secret is in the answer and nowhere else. */
  async issue(owner: AuthenticatedUser, input: CreateApiKeyDto): Promise<IssuedApiKeyDto> {
    const days = input.expiresInDays ?? this.config.defaultTtlDays;
    if (days > this.config.maxTtlDays) throw new ApiKeyException(ApiKeyErrorCode.TtlTooLong);
    if (input.permissions) {
      const held = await this.permissions.effectivePermissions(owner);
      const excess = input.permissions.filter((permission) => !held.includes(permission));
      if (excess.length > 0) {
        throw new ApiKeyException(ApiKeyErrorCode.PermissionsExceedOwner, `The owner lacks: ${excess.join(', ')}`);
      }
    }
    const { publicId, secret, key } = generateApiKey();
    const record = await this.keys.save(
      this.keys.create({
        publicId,
        secretHash: this.verifier.hashSecret(secret),
        name: input.name,
        ownerId: owner.id,
        permissions: input.permissions ?? null,
        expiresAt: new Date(this.clock.now().getTime() + days * DAY_MS),
      }),
    );
    this.events.publish(keyEvent(ApiKeyIssued, record, owner));
    return {
      id: record.id,
      key,
      name: record.name,
      permissions: record.permissions,
      expiresAt: record.expiresAt.toISOString(),
    };
  }

  /** The caller's keys, or another user's for a holder of users:manage. */
  async list(caller: AuthenticatedUser, query: ListApiKeysQueryDto): Promise<PageDto<ApiKey>> {
    const ownerId = query.ownerId ?? caller.id;
    if (ownerId !== caller.id) await this.assertMayManageOthers(caller);
    const [items, total] = await this.keys.findAndCount({
      where: { ownerId },
      order: { createdAt: 'DESC' },
      take: query.limit,
      skip: query.offset,
    });
    return page(items, total, query);
  }

  /** Revokes at once: the next request with the key, on any instance, is refused. */
  async revoke(caller: AuthenticatedUser, id: string): Promise<void> {
    const key = await this.findManageable(caller, id);
    const result = await this.keys.update(
      { id, revokedAt: IsNull() },
      { revokedAt: this.clock.now(), revokedBy: caller.id },
    );
    if (result.affected === 1) this.events.publish(keyEvent(ApiKeyRevoked, key, caller));
  }

  /**
   * Revokes a key on no one's request but the security monitor's (a key under
   * attack or misused); false when it is unknown or already revoked.
   */
  async revokeAsSystem(id: string): Promise<boolean> {
    const key = await this.keys.findOneBy({ id });
    if (!key) return false;
    const result = await this.keys.update(
      { id, revokedAt: IsNull() },
      { revokedAt: this.clock.now(), revokedBy: null },
    );
    if (result.affected !== 1) return false;
    this.events.publish(new ApiKeyRevoked(key.id, key.publicId, key.ownerId, SYSTEM_ACTOR));
    return true;
  }

  /** A new secret for the same key; the old one keeps working for the grace period (0: not at all). */
  async rotate(caller: AuthenticatedUser, id: string, graceMinutes?: number): Promise<IssuedApiKeyDto> {
    const key = await this.findManageable(caller, id);
    if (key.revokedAt) throw new ApiKeyException(ApiKeyErrorCode.Revoked);
    const grace = graceMinutes ?? this.config.rotationGraceMinutes;
    const now = this.clock.now();
    const { secret, key: presented } = newSecretFor(key.publicId);
    await this.keys.update(
      { id },
      {
        secretHash: this.verifier.hashSecret(secret),
        previousSecretHash: grace > 0 ? key.secretHash : null,
        previousSecretValidUntil: grace > 0 ? new Date(now.getTime() + grace * 60_000) : null,
        rotatedAt: now,
      },
    );
    this.events.publish(keyEvent(ApiKeyRotated, key, caller));
    return {
      id: key.id,
      key: presented,
      name: key.name,
      permissions: key.permissions,
      expiresAt: key.expiresAt.toISOString(),
    };
  }

  private async findManageable(caller: AuthenticatedUser, id: string): Promise<ApiKey> {
    const key = await this.keys.findOneBy({ id });
    if (!key) throw new ApiKeyException(ApiKeyErrorCode.NotFound);
    if (key.ownerId !== caller.id) {
      // Someone else's key is "not found" unless the caller may manage users.
      const decision = await this.permissions.decide(caller, Permission.UsersManage);
      if (!decision.allowed) throw new ApiKeyException(ApiKeyErrorCode.NotFound);
    }
    return key;
  }

  private async assertMayManageOthers(caller: AuthenticatedUser): Promise<void> {
    const decision = await this.permissions.decide(caller, Permission.UsersManage);
    if (!decision.allowed) throw new ApiKeyException(ApiKeyErrorCode.OthersKeysForbidden);
  }
}

function keyEvent(
  Event: typeof ApiKeyIssued | typeof ApiKeyRotated | typeof ApiKeyRevoked,
  key: ApiKey,
  actor: AuthenticatedUser,
): ApiKeyIssued {
  return new Event(key.id, key.publicId, key.ownerId, actor.id);
}
