import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Role } from '../../rbac/role';
import { User } from '../entities/user.entity';

export interface UserSummary {
  id: string;
  username: string;
  role: Role;
  isActive: boolean;
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
}
