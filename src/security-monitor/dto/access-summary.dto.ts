import { ApiProperty } from '@nestjs/swagger';
import { ALL_PERMISSIONS } from '../../rbac/permission';
import { ALL_ROLES, type Role } from '../../rbac/role';

export class GrantAccessDto {
  @ApiProperty({ format: 'uuid' })
  grantId!: string;

  @ApiProperty({ enum: ALL_PERMISSIONS })
  permission!: string;

  @ApiProperty({ type: String, nullable: true })
  resourceType!: string | null;

  @ApiProperty({ type: String, nullable: true })
  resourceId!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: string | null;

  @ApiProperty({
    enum: ['permanent', 'active', 'expiring', 'expired'],
    description: 'expiring: ends within 7 days; expired: still on record, no longer counts.',
  })
  status!: 'permanent' | 'active' | 'expiring' | 'expired';
}

export class UserAccessDto {
  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty()
  username!: string;

  @ApiProperty({ enum: ALL_ROLES })
  role!: Role;

  @ApiProperty({ enum: ALL_PERMISSIONS, isArray: true, description: 'What the role itself gives.' })
  rolePermissions!: string[];

  @ApiProperty()
  isActive!: boolean;

  @ApiProperty()
  locked!: boolean;

  @ApiProperty()
  mfaEnabled!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLoginAt!: string | null;

  @ApiProperty({ type: [GrantAccessDto] })
  grants!: GrantAccessDto[];
}
