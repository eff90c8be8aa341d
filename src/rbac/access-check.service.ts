import { Injectable } from '@nestjs/common';
import { UserDirectoryService } from '../auth/users/user-directory.service';
import type { AccessCheckDto, AccessCheckQueryDto } from './dto/grant.dto';
import { PermissionService } from './permission.service';
import { RbacException, RbacErrorCode } from './rbac.exception';

@Injectable()
export class AccessCheckService {
  constructor(
    private readonly directory: UserDirectoryService,
    private readonly permissions: PermissionService,
  ) {}

  async check(query: AccessCheckQueryDto): Promise<AccessCheckDto> {
    // As when granting: an id without its type names no resource, and dropping it would answer another question.
    if (query.resourceId !== undefined && query.resourceType === undefined) {
      throw new RbacException(RbacErrorCode.InvalidScope);
    }
    const user = await this.directory.find(query.userId);
    if (!user) throw new RbacException(RbacErrorCode.UnknownUser);
    if (!user.isActive) return { allowed: false, via: 'inactive' };
    const resource =
      query.resourceType && query.resourceId ? { type: query.resourceType, id: query.resourceId } : undefined;
    const decision = await this.permissions.decide(user, query.permission, resource);
    if (!decision.allowed) return { allowed: false, via: 'none' };
    return decision.via === 'grant'
      ? { allowed: true, via: 'grant', grantId: decision.grantId }
      : { allowed: true, via: 'role' };
  }
}
