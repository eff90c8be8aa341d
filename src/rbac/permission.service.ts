import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { PermissionGrant } from './entities/permission-grant.entity';
import type { Permission } from './permission';
import type { ResourceRef } from './resource-scope';
import { ROLE_PERMISSIONS, type Role } from './role';

export type AccessDecision =
  { allowed: true; via: 'role' } | { allowed: true; via: 'grant'; grantId: string } | { allowed: false };

export interface Principal {
  id: string;
  role: Role;
}

/**
 * The seed's check_user_permission: a permission is held through the
 * principal's role, or through an active, unexpired grant whose scope covers
 * the resource acted on. Role permissions cost no query.
 */
@Injectable()
export class PermissionService {
  constructor(
    @InjectRepository(PermissionGrant) private readonly grants: Repository<PermissionGrant>,
    private readonly clock: Clock,
  ) {}

  async decide(principal: Principal, permission: Permission, resource?: ResourceRef): Promise<AccessDecision> {
    if (ROLE_PERMISSIONS[principal.role].includes(permission)) return { allowed: true, via: 'role' };
    const grant = await this.grants
      .createQueryBuilder('grant')
      .select('grant.id')
      .where('grant.user_id = :userId AND grant.permission = :permission AND grant.is_active', {
        userId: principal.id,
        permission,
      })
      .andWhere('(grant.expires_at IS NULL OR grant.expires_at > :now)', { now: this.clock.now() })
      .andWhere(
        // An unscoped grant covers everything; a typed one only routes acting on a resource of that type.
        '(grant.resource_type IS NULL OR (grant.resource_type = :type AND (grant.resource_id IS NULL OR grant.resource_id = :id)))',
        { type: resource?.type ?? null, id: resource?.id ?? null },
      )
      .getOne();
    return grant ? { allowed: true, via: 'grant', grantId: grant.id } : { allowed: false };
  }

  /**
   * Role permissions plus unscoped, active, unexpired grants; with `includeScoped`, also the
   * permissions held only on some resources (what someone could do as this principal anywhere).
   */
  async effectivePermissions(principal: Principal, options: { includeScoped?: boolean } = {}): Promise<Permission[]> {
    const query = this.grants
      .createQueryBuilder('grant')
      .select('DISTINCT grant.permission', 'permission')
      .where('grant.user_id = :userId AND grant.is_active', { userId: principal.id })
      .andWhere('(grant.expires_at IS NULL OR grant.expires_at > :now)', { now: this.clock.now() });
    if (!options.includeScoped) query.andWhere('grant.resource_type IS NULL');
    const granted = await query.getRawMany<{ permission: Permission }>();
    return [...new Set([...ROLE_PERMISSIONS[principal.role], ...granted.map((row) => row.permission)])];
  }
}
