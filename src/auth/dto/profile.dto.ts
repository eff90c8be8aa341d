import { ApiProperty } from '@nestjs/swagger';
import { ALL_PERMISSIONS, Permission } from '../../rbac/permission';
import { ALL_ROLES, Role } from '../../rbac/role';

export class ProfileDto {
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

  @ApiProperty({ enum: ALL_PERMISSIONS, isArray: true, description: 'Everything the caller may do.' })
  permissions!: Permission[];

  @ApiProperty()
  mustChangePassword!: boolean;

  @ApiProperty()
  mfaEnabled!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLoginAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}
