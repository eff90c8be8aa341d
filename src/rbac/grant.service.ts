import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { UserDirectoryService } from '../auth/users/user-directory.service';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { type PageDto, page } from '../common/pagination/paginated';
import type { CreateGrantDto, ListGrantsQueryDto } from './dto/grant.dto';
import { PermissionGrant } from './entities/permission-grant.entity';
import { Permission } from './permission';
import { PermissionService } from './permission.service';
import { GrantCreated, GrantRevoked } from './rbac.events';
import { RbacException, RbacErrorCode } from './rbac.exception';
import { Role } from './role';

/** Permissions only an ADMIN may hand out: they would let the holder raise others (or themselves). */
const ADMIN_ONLY_PERMISSIONS: readonly Permission[] = [Permission.UsersManage];

@Injectable()
export class GrantService {
  constructor(
    @InjectRepository(PermissionGrant) private readonly grants: Repository<PermissionGrant>,
    private readonly permissions: PermissionService,
    private readonly directory: UserDirectoryService,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  async create(actor: AuthenticatedUser, input: CreateGrantDto): Promise<PermissionGrant> {
    await this.assertMayGrant(actor, input.permission);
    if (input.resourceId !== undefined && input.resourceType === undefined) {
      throw new RbacException(RbacErrorCode.InvalidScope);
    }
    const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
    if (expiresAt && expiresAt <= this.clock.now()) throw new RbacException(RbacErrorCode.ExpiryInPast);
    if (!(await this.directory.find(input.userId))) throw new RbacException(RbacErrorCode.UnknownUser);
    const grant = await this.grants.save(
      this.grants.create({
        userId: input.userId,
        permission: input.permission,
        resourceType: input.resourceType ?? null,
        resourceId: input.resourceId ?? null,
        expiresAt,
        isActive: true,
        grantedBy: actor.id,
      }),
    );
    this.events.publish(grantEvent(GrantCreated, grant, actor));
    return grant;
  }

  async list(query: ListGrantsQueryDto): Promise<PageDto<PermissionGrant>> {
    // The id breaks ties between grants made at the same instant, so offset pages neither repeat nor skip.
    const builder = this.grants
      .createQueryBuilder('grant')
      .orderBy('grant.created_at', 'DESC')
      .addOrderBy('grant.id', 'DESC');
    if (query.userId) builder.andWhere('grant.user_id = :userId', { userId: query.userId });
    if (query.permission) builder.andWhere('grant.permission = :permission', { permission: query.permission });
    if (!query.includeInactive) {
      builder
        .andWhere('grant.is_active')
        .andWhere('(grant.expires_at IS NULL OR grant.expires_at > :now)', { now: this.clock.now() });
    }
    const [items, total] = await builder.take(query.limit).skip(query.offset).getManyAndCount();
    return page(items, total, query);
  }

  /** The active grants of these users, expired ones included (an access review shows what ran out). */
  forUsers(userIds: readonly string[]): Promise<PermissionGrant[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.grants
      .createQueryBuilder('grant')
      .where('grant.user_id IN (:...userIds) AND grant.is_active', { userIds })
      .orderBy('grant.created_at', 'ASC')
      .addOrderBy('grant.id', 'ASC')
      .getMany();
  }

  /** Revokes at once; the row stays, inactive, as history. */
  async revoke(actor: AuthenticatedUser, id: string): Promise<void> {
    const grant = await this.grants.findOneBy({ id, isActive: true });
    if (!grant) throw new RbacException(RbacErrorCode.GrantNotFound);
    await this.assertMayGrant(actor, grant.permission);
    await this.grants.update({ id }, { isActive: false, revokedAt: this.clock.now(), revokedBy: actor.id });
    this.events.publish(grantEvent(GrantRevoked, grant, actor));
  }

  /** Nobody hands out a permission they do not hold outright, and some only an ADMIN hands out. */
  private async assertMayGrant(actor: AuthenticatedUser, permission: Permission): Promise<void> {
    if (ADMIN_ONLY_PERMISSIONS.includes(permission) && actor.role !== Role.Admin) {
      throw new RbacException(RbacErrorCode.AdminOnlyPermission);
    }
    const held = await this.permissions.effectivePermissions(actor);
    if (!held.includes(permission)) throw new RbacException(RbacErrorCode.CannotGrantWhatYouLack);
  }
}

function grantEvent(
  Event: typeof GrantCreated | typeof GrantRevoked,
  grant: PermissionGrant,
  actor: AuthenticatedUser,
): GrantCreated | GrantRevoked {
  return new Event(grant.id, grant.userId, grant.permission, grant.resourceType, grant.resourceId, actor.id);
}
