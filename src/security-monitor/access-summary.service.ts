import { Injectable } from '@nestjs/common';
import { UserDirectoryService } from '../auth/users/user-directory.service';
import { Clock } from '../common/clock/clock';
import { type PageDto, page } from '../common/pagination/paginated';
import type { PaginationQueryDto } from '../common/pagination/pagination-query.dto';
import { GrantService } from '../rbac/grant.service';
import { ROLE_PERMISSIONS } from '../rbac/role';
import type { UserAccessDto } from './dto/access-summary.dto';

/** Grants ending within this are flagged, so a review renews or lets them go on purpose. */
const EXPIRING_SOON_MS = 7 * 86_400_000;

/**
 * The seed's user_access_summary: every user with their role, its
 * permissions, their extra grants and when each ends. Read through the auth
 * and rbac modules' services; this module never reads their tables.
 */
@Injectable()
export class AccessSummaryService {
  constructor(
    private readonly directory: UserDirectoryService,
    private readonly grants: GrantService,
    private readonly clock: Clock,
  ) {}

  async summary(query: PaginationQueryDto): Promise<PageDto<UserAccessDto>> {
    const users = await this.directory.listForReview(query);
    const grants = await this.grants.forUsers(users.items.map((user) => user.id));
    const now = this.clock.now().getTime();
    const items = users.items.map((user) => ({
      userId: user.id,
      username: user.username,
      role: user.role,
      rolePermissions: [...ROLE_PERMISSIONS[user.role]],
      isActive: user.isActive,
      locked: user.lockedUntil !== null && user.lockedUntil.getTime() > now,
      mfaEnabled: user.mfaEnabled,
      lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
      grants: grants
        .filter((grant) => grant.userId === user.id)
        .map((grant) => {
          const ends = grant.expiresAt?.getTime();
          return {
            grantId: grant.id,
            permission: grant.permission,
            resourceType: grant.resourceType,
            resourceId: grant.resourceId,
            expiresAt: grant.expiresAt?.toISOString() ?? null,
            status:
              ends === undefined
                ? 'permanent'
                : ends <= now
                  ? 'expired'
                  : ends - now <= EXPIRING_SOON_MS
                    ? 'expiring'
                    : 'active',
          } as const;
        }),
    }));
    return page(items, users.total, query);
  }
}
