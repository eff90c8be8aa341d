import { Injectable } from '@nestjs/common';
import { Permission } from './permission';
import { type Principal, PermissionService } from './permission.service';
import { Role } from './role';

/** Why a manager may not act on a user: ADMINs are for ADMINs; nobody manages someone holding more than they do. */
export type ManagementRefusal = 'admin-only' | 'target-outranks-actor';

/**
 * Who may act on whose account (its keys, sessions, password, state). One rule
 * for user administration and key administration alike, so a deputy refused a
 * password reset cannot take the same account over through its keys.
 */
@Injectable()
export class ManagementPolicy {
  constructor(private readonly permissions: PermissionService) {}

  /**
   * Why `actor` (already known to hold users:manage) may not manage `target`, or
   * undefined when it may: a manager who is not an ADMIN acts only on users who
   * hold nothing the manager lacks, and never on an ADMIN.
   */
  async refusal(actor: Principal, target: Principal): Promise<ManagementRefusal | undefined> {
    if (actor.role === Role.Admin) return undefined;
    if (target.role === Role.Admin) return 'admin-only';
    const [held, theirs] = await Promise.all([
      this.permissions.effectivePermissions(actor),
      this.permissions.effectivePermissions(target, { includeScoped: true }),
    ]);
    return theirs.some((permission) => !held.includes(permission)) ? 'target-outranks-actor' : undefined;
  }

  /** True when `actor` holds users:manage and may manage `target` (someone else's keys or sessions). */
  async mayManage(actor: Principal, target: Principal): Promise<boolean> {
    const decision = await this.permissions.decide(actor, Permission.UsersManage);
    return decision.allowed && (await this.refusal(actor, target)) === undefined;
  }
}
