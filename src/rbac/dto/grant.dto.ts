import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsISO8601, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { UnlessAbsent } from '../../common/validation/unless-absent.decorator';
import { QueryBoolean } from '../../common/validation/query-boolean.decorator';
import { PaginationQueryDto } from '../../common/pagination/pagination-query.dto';
import type { PermissionGrant } from '../entities/permission-grant.entity';
import { ALL_PERMISSIONS, Permission } from '../permission';
import { ALL_RESOURCE_TYPES, ResourceType } from '../resource-scope';

export class CreateGrantDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('4')
  userId!: string;

  @ApiProperty({ enum: ALL_PERMISSIONS })
  @IsIn(ALL_PERMISSIONS)
  permission!: Permission;

  @ApiPropertyOptional({ enum: ALL_RESOURCE_TYPES, description: 'Limit the grant to this kind of resource.' })
  @UnlessAbsent()
  @IsIn(ALL_RESOURCE_TYPES)
  resourceType?: ResourceType;

  @ApiPropertyOptional({ description: 'Limit the grant to one resource (needs resourceType).' })
  @UnlessAbsent()
  @IsString()
  @Length(1, 128)
  resourceId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'The grant stops counting at this instant.' })
  @UnlessAbsent()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ListGrantsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('4')
  userId?: string;

  @ApiPropertyOptional({ enum: ALL_PERMISSIONS })
  @IsOptional()
  @IsIn(ALL_PERMISSIONS)
  permission?: Permission;

  @ApiPropertyOptional({ type: Boolean, description: 'Also list revoked and expired grants.', default: false })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  includeInactive = false;
}

export class GrantDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ enum: ALL_PERMISSIONS })
  permission!: Permission;

  @ApiProperty({ type: String, nullable: true, enum: ALL_RESOURCE_TYPES })
  resourceType!: string | null;

  @ApiProperty({ type: String, nullable: true })
  resourceId!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: string | null;

  @ApiProperty()
  isActive!: boolean;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  grantedBy!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;

  static from(grant: PermissionGrant): GrantDto {
    return {
      id: grant.id,
      userId: grant.userId,
      permission: grant.permission,
      resourceType: grant.resourceType,
      resourceId: grant.resourceId,
      expiresAt: grant.expiresAt?.toISOString() ?? null,
      isActive: grant.isActive,
      grantedBy: grant.grantedBy,
      createdAt: grant.createdAt.toISOString(),
      revokedAt: grant.revokedAt?.toISOString() ?? null,
    };
  }
}

export class AccessCheckQueryDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('4')
  userId!: string;

  @ApiProperty({ enum: ALL_PERMISSIONS })
  @IsIn(ALL_PERMISSIONS)
  permission!: Permission;

  @ApiPropertyOptional({ enum: ALL_RESOURCE_TYPES })
  @IsOptional()
  @IsIn(ALL_RESOURCE_TYPES)
  resourceType?: ResourceType;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 128)
  resourceId?: string;
}

export class AccessCheckDto {
  @ApiProperty()
  allowed!: boolean;

  @ApiProperty({ enum: ['role', 'grant', 'none', 'inactive'], description: 'What the answer rests on.' })
  via!: 'role' | 'grant' | 'none' | 'inactive';

  @ApiPropertyOptional({ format: 'uuid' })
  grantId?: string;
}

export class RolePermissionsDto {
  @ApiProperty()
  role!: string;

  @ApiProperty({ enum: ALL_PERMISSIONS, isArray: true })
  permissions!: Permission[];
}
