import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { type PageDto, page } from '../common/pagination/paginated';
import { apiKeysConfig } from '../config';
import { UserDirectoryService } from '../auth/users/user-directory.service';
import { ManagementPolicy } from '../rbac/management-policy.service';
import { PermissionService } from '../rbac/permission.service';
import { generateApiKey, newSecretFor } from './api-key-format';
import { ApiKeyIssued, ApiKeyRevoked, ApiKeyRotated } from './api-keys.events';
import { ApiKeyVerifier } from './api-key-verifier.service';
import { ApiKeyException, ApiKeyErrorCode } from './api-keys.exception';
import type { CreateApiKeyDto, IssuedApiKeyDto, ListApiKeysQueryDto } from './dto/api-key.dto';
import { ApiKey } from './entities/api-key.entity';
import { SYSTEM_ACTOR } from '../audit/audit-entry';
import { Role } from '../rbac/role';

const DAY_MS = 86_400_000;

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    @Inject(apiKeysConfig.KEY) private readonly config: ConfigType<typeof apiKeysConfig>,
    private readonly verifier: ApiKeyVerifier,
    private readonly permissions: PermissionService,
    private readonly policy: ManagementPolicy,
    private readonly directory: UserDirectoryService,
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
    const hashed = this.verifier.hashSecret(secret);
    const record = await this.keys.save(
      this.keys.create({
        publicId,
        secretHash: hashed.hash,
        pepperId: hashed.pepperId,
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

  /** The caller's keys, or those of a user the caller may manage. */
  async list(caller: AuthenticatedUser, query: ListApiKeysQueryDto): Promise<PageDto<ApiKey>> {
    const ownerId = query.ownerId ?? caller.id;
    if (ownerId !== caller.id && !(await this.mayManageOwner(caller, ownerId))) {
      throw new ApiKeyException(ApiKeyErrorCode.OthersKeysForbidden);
    }
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
    const key = await this.findVisible(caller, id);
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

  /**
   * Revokes every open key of a user, in the caller's transaction: a password
   * change or reset does, so a key made with the old password dies with it.
   */
  async revokeAllOfOwner(ownerId: string, actorId: string): Promise<number> {
    const result = await this.keys
      .createQueryBuilder()
      .update()
      .set({ revokedAt: this.clock.now(), revokedBy: actorId === SYSTEM_ACTOR ? null : actorId })
      .where('owner_id = :ownerId AND revoked_at IS NULL', { ownerId })
      .returning(['id', 'public_id'])
      .execute();
    const revoked = result.raw as { id: string; public_id: string }[];
    for (const key of revoked) this.events.publish(new ApiKeyRevoked(key.id, key.public_id, ownerId, actorId));
    return revoked.length;
  }

  /**
   * A new secret for the same key, for its owner only; the old one keeps working for the grace
   * period (0: not at all). A compare-and-set on the current secret: of two concurrent rotations
   * one wins and the other is a 409, so no returned secret is dead on arrival.
   */
  async rotate(caller: AuthenticatedUser, id: string, graceMinutes?: number): Promise<IssuedApiKeyDto> {
    const key = await this.findVisible(caller, id);
    if (key.ownerId !== caller.id) throw new ApiKeyException(ApiKeyErrorCode.OwnerOnly);
    if (key.revokedAt) throw new ApiKeyException(ApiKeyErrorCode.Revoked);
    const grace = graceMinutes ?? this.config.rotationGraceMinutes;
    const now = this.clock.now();
    const { secret, key: presented } = newSecretFor(key.publicId);
    // The new secret is hashed under the newest pepper; the old one keeps the pepper it was hashed with.
    const hashed = this.verifier.hashSecret(secret);
    const result = await this.keys.update(
      { id, secretHash: key.secretHash, revokedAt: IsNull() },
      {
        secretHash: hashed.hash,
        pepperId: hashed.pepperId,
        previousSecretHash: grace > 0 ? key.secretHash : null,
        previousSecretPepperId: grace > 0 ? key.pepperId : null,
        previousSecretValidUntil: grace > 0 ? new Date(now.getTime() + grace * 60_000) : null,
        rotatedAt: now,
      },
    );
    if (result.affected !== 1) throw new ApiKeyException(ApiKeyErrorCode.RotationConflict);
    this.events.publish(keyEvent(ApiKeyRotated, key, caller));
    return {
      id: key.id,
      key: presented,
      name: key.name,
      permissions: key.permissions,
      expiresAt: key.expiresAt.toISOString(),
    };
  }

  /** The caller's own key, or one of a user the caller may manage; any other is "not found". */
  private async findVisible(caller: AuthenticatedUser, id: string): Promise<ApiKey> {
    const key = await this.keys.findOneBy({ id });
    if (!key) throw new ApiKeyException(ApiKeyErrorCode.NotFound);
    if (key.ownerId !== caller.id && !(await this.mayManageOwner(caller, key.ownerId))) {
      throw new ApiKeyException(ApiKeyErrorCode.NotFound);
    }
    return key;
  }

  private async mayManageOwner(caller: AuthenticatedUser, ownerId: string): Promise<boolean> {
    const owner = await this.directory.find(ownerId);
    // An unknown owner is treated like an ADMIN one: only an ADMIN gets past (to an empty answer).
    return this.policy.mayManage(caller, owner ?? { id: ownerId, role: Role.Admin });
  }
}

function keyEvent(
  Event: typeof ApiKeyIssued | typeof ApiKeyRotated | typeof ApiKeyRevoked,
  key: ApiKey,
  actor: AuthenticatedUser,
): ApiKeyIssued {
  return new Event(key.id, key.publicId, key.ownerId, actor.id);
}
