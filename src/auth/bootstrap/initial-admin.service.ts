import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { authConfig } from '../../config';
import { Role } from '../../rbac/role';
import { User } from '../entities/user.entity';
import { PasswordHasher } from '../password/password-hasher.service';
import { PasswordPolicy } from '../password/password-policy.service';

/**
 * On a database with no users, creates ADMIN_USERNAME (default `admin`) with ADMIN_INITIAL_PASSWORD or,
 * when that is unset, a strong random password shown once. Either way the
 * password must be changed at first login. There is no built-in default: the
 * seed's admin/admin123 fails the password policy.
 */
@Injectable()
export class InitialAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const configured = this.config.adminInitialPassword;
    const password = configured ?? randomBytes(18).toString('base64url');
    const username = this.config.adminUsername;
    const problem = await this.policy.problem(password, { username });
    if (problem) throw new Error(`ADMIN_INITIAL_PASSWORD is not acceptable: ${problem}`);
    // ON CONFLICT: instances starting together on an empty database create the admin once.
    const inserted = await this.users.query<{ id: string }[]>(
      `INSERT INTO users (username, email, role, password_hash, must_change_password)
       VALUES ($1, $2, $3, $4, true)
       ON CONFLICT DO NOTHING RETURNING id`,
      [username, `${username}@localhost`, Role.Admin, await this.hasher.hash(password)],
    );
    if (inserted.length === 0) return;
    this.logger.warn(`created the initial user '${username}'; it must change its password at first login`);
    if (configured === undefined) announceGeneratedPassword(username, password);
  }
}

/**
 * Written straight to the terminal, once, and never through the logger: log
 * lines are kept (files, the log store), and a password must not be.
 */
function announceGeneratedPassword(username: string, password: string): void {
  process.stderr.write(
    `\n  Initial admin password (shown once, change it at first login): ${password}\n` +
      `  Log in: POST /api/v1/auth/login {"username":"${username}","password":"..."}\n\n`,
  );
}
