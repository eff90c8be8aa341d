import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DomainEvents } from '../../common/events/domain-events.service';
import { type PageDto, page } from '../../common/pagination/paginated';
import { Transactions } from '../../database/transactions/transactions.service';
import { violatedUniqueConstraint } from '../../database/postgres-errors.util';
import { ManagementPolicy } from '../../rbac/management-policy.service';
import { PermissionService } from '../../rbac/permission.service';
import { ROLE_PERMISSIONS, Role } from '../../rbac/role';
import type { AuthenticatedUser } from '../authenticated-user';
import { User } from '../entities/user.entity';
import { PasswordHasher } from '../password/password-hasher.service';
import { PasswordPolicy } from '../password/password-policy.service';
import { SessionService } from '../sessions/session.service';
import { ApiKeysService } from '../../api-keys/api-keys.service';
import { AccountLockService } from '../lockout/account-lock.service';
import { MfaService } from '../mfa/mfa.service';
import type { CreateUserDto, ListUsersQueryDto, UpdateUserDto } from './dto/user-input.dto';
import { UserAdminException, UserAdminErrorCode } from './user-admin.exception';
import {
  UserCreated,
  UserMfaReset,
  UserDeactivated,
  UserDeleted,
  UserPasswordReset,
  UserRoleChanged,
  UserUnlocked,
  UserUpdated,
} from './users.events';

export interface CreatedUser {
  user: User;
  temporaryPassword?: string;
}

/**
 * User administration (users:manage). No escalation: only an ADMIN gives the
 * ADMIN role or touches an ADMIN, and the last active ADMIN stays one.
 */
@Injectable()
export class UserAdminService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly transactions: Transactions,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionService,
    private readonly permissions: PermissionService,
    private readonly management: ManagementPolicy,
    private readonly events: DomainEvents,
    private readonly apiKeys: ApiKeysService,
    private readonly locks: AccountLockService,
    private readonly mfa: MfaService,
  ) {}

  async create(actor: AuthenticatedUser, input: CreateUserDto): Promise<CreatedUser> {
    await this.transactions.outside(() => this.assertMayAssign(actor, input.role));
    const problem = input.password === undefined ? undefined : await this.policy.problem(input.password, input);
    if (problem) throw new UserAdminException(UserAdminErrorCode.WeakPassword, problem);
    const { password, temporaryPassword } = initialPassword(input.password);
    const user = await this.users
      .save(
        this.users.create({
          username: input.username,
          email: input.email,
          displayName: input.displayName ?? null,
          role: input.role,
          passwordHash: await this.hasher.hash(password),
          mustChangePassword: true,
        }),
      )
      .catch(rethrowUniqueViolation);
    this.events.publish(new UserCreated(actor.id, user.id, user.username, { role: user.role }));
    return { user, temporaryPassword };
  }

  async list(query: ListUsersQueryDto): Promise<PageDto<User>> {
    const builder = this.users.createQueryBuilder('user').orderBy('lower(user.username)', 'ASC');
    if (query.role) builder.andWhere('user.role = :role', { role: query.role });
    if (query.active !== undefined) builder.andWhere('user.is_active = :active', { active: query.active });
    if (query.q) {
      builder.andWhere(
        '(user.username ILIKE :pattern OR user.email ILIKE :pattern OR user.display_name ILIKE :pattern)',
        { pattern: `%${query.q.replace(/[\\%_]/g, (character) => `\\${character}`)}%` },
      );
    }
    const [items, total] = await builder.take(query.limit).skip(query.offset).getManyAndCount();
    return page(items, total, query);
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new UserAdminException(UserAdminErrorCode.UserNotFound);
    return user;
  }

  /** The user, when the actor may manage them (see their sessions, act on their account). */
  async getManageable(actor: AuthenticatedUser, id: string): Promise<User> {
    const user = await this.get(id);
    await this.assertMayManage(actor, user);
    return user;
  }

  /** For the admin's view: when each user's locks in force end (see UserDto.lockedUntil). */
  lockEnds(users: User[]): Promise<Map<string, Date>> {
    return this.locks.lockEnds(users.map((user) => user.id));
  }

  /** One transaction: the change, the sessions it ends, and its record commit together. */
  async update(actor: AuthenticatedUser, id: string, changes: UpdateUserDto): Promise<User> {
    return this.transactions.run(async () => {
      const admins = await this.lockActiveAdmins();
      const target = await this.lockTarget(actor, id);
      if (changes.role !== undefined) await this.assertMayAssign(actor, changes.role);
      const losesAdmin =
        target.role === Role.Admin &&
        target.isActive &&
        ((changes.role !== undefined && changes.role !== Role.Admin) || changes.isActive === false);
      if (losesAdmin) assertAnotherActiveAdmin(admins, id);
      const before = { role: target.role, isActive: target.isActive };
      const after = await this.users.save(this.users.merge(target, changes)).catch(rethrowUniqueViolation);
      await this.endSessionsAfterChange(actor, before, after);
      this.events.publish(
        new UserUpdated(actor.id, after.id, after.username, Object.fromEntries(Object.entries(changes))),
      );
      return after;
    });
  }

  async remove(actor: AuthenticatedUser, id: string): Promise<void> {
    if (actor.id === id) throw new UserAdminException(UserAdminErrorCode.CannotDeleteSelf);
    await this.transactions.run(async () => {
      const admins = await this.lockActiveAdmins();
      const target = await this.lockTarget(actor, id);
      if (target.role === Role.Admin && target.isActive) assertAnotherActiveAdmin(admins, id);
      await this.users.delete({ id });
      this.events.publish(new UserDeleted(actor.id, target.id, target.username));
    });
  }

  /**
   * Sets a generated temporary password that must be changed, lifts the
   * lockout, ends the user's sessions and (unless `keepApiKeys`) revokes their
   * API keys, in one transaction.
   */
  async resetPassword(actor: AuthenticatedUser, id: string, options: { keepApiKeys?: boolean } = {}): Promise<string> {
    // Refused callers cost no hash; the hash itself runs before the transaction holds a connection.
    await this.transactions.outside(async () => this.assertMayManage(actor, await this.get(id)));
    const temporaryPassword = generateTemporaryPassword();
    const passwordHash = await this.hasher.hash(temporaryPassword);
    await this.transactions.run(async () => {
      const target = await this.lockTarget(actor, id);
      await this.users.update({ id }, { passwordHash, mustChangePassword: true });
      await this.locks.unlock(id);
      await this.sessions.revokeAll(id, 'password_reset');
      const revokedKeys = options.keepApiKeys === true ? 0 : await this.apiKeys.revokeAllOfOwner(id, actor.id);
      this.events.publish(new UserPasswordReset(actor.id, target.id, target.username, { revokedKeys }));
    });
    return temporaryPassword;
  }

  async unlock(actor: AuthenticatedUser, id: string): Promise<User> {
    const target = await this.get(id);
    await this.assertMayManage(actor, target);
    await this.locks.unlock(id);
    this.events.publish(new UserUnlocked(actor.id, target.id, target.username));
    return this.get(id);
  }

  /**
   * Removes the user's TOTP and recovery codes (a lost phone) and ends their
   * sessions; an ADMIN's is for an ADMIN. 409 when MFA was not on.
   */
  async resetMfa(actor: AuthenticatedUser, id: string): Promise<void> {
    await this.transactions.run(async () => {
      const target = await this.lockTarget(actor, id);
      if (!(await this.mfa.reset(target))) throw new UserAdminException(UserAdminErrorCode.MfaNotEnabled);
      await this.sessions.revokeAll(id, 'mfa_reset');
      this.events.publish(new UserMfaReset(actor.id, target.id, target.username));
    });
  }

  /** Ends every session of the user; ending an ADMIN's is for an ADMIN. */
  async revokeSessions(actor: AuthenticatedUser, id: string): Promise<void> {
    const target = await this.get(id);
    await this.assertMayManage(actor, target);
    await this.sessions.revokeAll(id, 'revoked_by_admin');
  }

  private async endSessionsAfterChange(
    actor: AuthenticatedUser,
    before: Pick<User, 'role' | 'isActive'>,
    after: User,
  ): Promise<void> {
    if (before.role !== after.role) {
      await this.sessions.revokeAll(after.id, 'role_changed');
      this.events.publish(
        new UserRoleChanged(actor.id, after.id, after.username, { from: before.role, to: after.role }),
      );
    }
    if (before.isActive && !after.isActive) {
      await this.sessions.revokeAll(after.id, 'user_deactivated');
      this.events.publish(new UserDeactivated(actor.id, after.id, after.username));
    }
  }

  /**
   * Locks every active ADMIN row, in id order and before the target row: two
   * admins demoting or deleting each other then queue up instead of each holding
   * the row the other needs (a deadlock, answered as a 500), and the second sees
   * the first one's commit.
   */
  private lockActiveAdmins(): Promise<User[]> {
    return this.users
      .createQueryBuilder('user')
      .setLock('pessimistic_write')
      .where('user.role = :role AND user.is_active', { role: Role.Admin })
      .orderBy('user.id')
      .getMany();
  }

  private async lockTarget(actor: AuthenticatedUser, id: string): Promise<User> {
    const target = await this.users.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!target) throw new UserAdminException(UserAdminErrorCode.UserNotFound);
    await this.assertMayManage(actor, target);
    return target;
  }

  /**
   * A manager who is not an ADMIN acts only on users who hold nothing the
   * manager lacks: resetting the password of someone with more rights would
   * otherwise be a way into those rights. ADMINs are for ADMINs.
   */
  private async assertMayManage(actor: AuthenticatedUser, target: User): Promise<void> {
    const refusal = await this.management.refusal(actor, target);
    if (refusal === 'admin-only') throw new UserAdminException(UserAdminErrorCode.AdminOnly);
    if (refusal === 'target-outranks-actor') throw new UserAdminException(UserAdminErrorCode.TargetOutranksActor);
  }

  /** Giving a role grants its permissions: a manager who is not an ADMIN gives only roles within their own. */
  private async assertMayAssign(actor: AuthenticatedUser, role: Role): Promise<void> {
    if (actor.role === Role.Admin) return;
    if (role === Role.Admin) throw new UserAdminException(UserAdminErrorCode.AdminOnly);
    const held = await this.permissions.effectivePermissions(actor);
    if (ROLE_PERMISSIONS[role].some((permission) => !held.includes(permission))) {
      throw new UserAdminException(UserAdminErrorCode.RoleExceedsActor);
    }
  }
}

function assertAnotherActiveAdmin(admins: readonly User[], exceptId: string): void {
  if (!admins.some((admin) => admin.id !== exceptId)) throw new UserAdminException(UserAdminErrorCode.LastAdmin);
}

function rethrowUniqueViolation(error: unknown): never {
  const constraint = violatedUniqueConstraint(error);
  if (constraint !== undefined) {
    throw new UserAdminException(
      constraint.includes('email') ? UserAdminErrorCode.EmailTaken : UserAdminErrorCode.UsernameTaken,
    );
  }
  throw error;
}

function initialPassword(given: string | undefined): { password: string; temporaryPassword?: string } {
  if (given !== undefined) return { password: given };
  const temporaryPassword = generateTemporaryPassword();
  return { password: temporaryPassword, temporaryPassword };
}

/** 24 random base64url characters (144 bits): passes the policy, and must be changed at first login. */
function generateTemporaryPassword(): string {
  return randomBytes(18).toString('base64url');
}
