import { ApiProperty } from '@nestjs/swagger';
import { ALL_ROLES, Role } from '../../../rbac/role';
import type { User } from '../../entities/user.entity';

/** A user as administrators see it: never a password hash, TOTP secret or recovery code. */
export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  username!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty({ type: String, nullable: true })
  displayName!: string | null;

  @ApiProperty({ enum: ALL_ROLES })
  role!: Role;

  @ApiProperty()
  isActive!: boolean;

  @ApiProperty()
  mustChangePassword!: boolean;

  @ApiProperty()
  mfaEnabled!: boolean;

  @ApiProperty()
  failedLoginAttempts!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'The latest end of a lock in force: the whole account, or one client ip (README: Lockout).',
  })
  lockedUntil!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLoginAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  lastLoginIp!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  /** `lockedUntil`: the latest lock in force, client locks included, when the caller looked them up. */
  static from(user: User, lockedUntil: Date | null = user.lockedUntil): UserDto {
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      isActive: user.isActive,
      mustChangePassword: user.mustChangePassword,
      mfaEnabled: user.mfaEnabled,
      failedLoginAttempts: user.failedLoginAttempts,
      lockedUntil: lockedUntil?.toISOString() ?? null,
      lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
      lastLoginIp: user.lastLoginIp,
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    };
  }
}

export class CreatedUserDto {
  @ApiProperty({ type: UserDto })
  user!: UserDto;

  @ApiProperty({
    required: false,
    description: 'Present when no password was given: shown this once; the user must change it at first login.',
  })
  temporaryPassword?: string;
}

export class TemporaryPasswordDto {
  @ApiProperty({ description: 'Shown this once; the user must change it at first login.' })
  temporaryPassword!: string;
}
