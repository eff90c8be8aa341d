import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { type PageDto, page } from '../../common/pagination/paginated';
import type { Role } from '../../rbac/role';
import { User } from '../entities/user.entity';

export interface UserSummary {
  id: string;
  username: string;
  role: Role;
  isActive: boolean;
}

/** A user as an access review sees them: role, state and last login, never a credential. */
export interface UserAccessSummary extends UserSummary {
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  mfaEnabled: boolean;
  createdAt: Date;
}

/** Read-only lookups of users for other modules, which never read the users table themselves. */
@Injectable()
export class UserDirectoryService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async find(id: string): Promise<UserSummary | undefined> {
    const user = await this.users.findOne({
      select: { id: true, username: true, role: true, isActive: true },
      where: { id },
    });
    return user ?? undefined;
  }

  /** Every user, by username, a page at a time (the security monitor's access summary). */
  async listForReview(query: { limit: number; offset: number }): Promise<PageDto<UserAccessSummary>> {
    const [users, total] = await this.users.findAndCount({
      select: {
        id: true,
        username: true,
        role: true,
        isActive: true,
        lockedUntil: true,
        lastLoginAt: true,
        totpSecret: true,
        createdAt: true,
      },
      order: { username: 'ASC', id: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
    const items = users.map((user) => ({
      id: user.id,
      username: user.username,
      role: user.role,
      isActive: user.isActive,
      lockedUntil: user.lockedUntil,
      lastLoginAt: user.lastLoginAt,
      mfaEnabled: user.mfaEnabled,
      createdAt: user.createdAt,
    }));
    return page(items, total, query);
  }
}
