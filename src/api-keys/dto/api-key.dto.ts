import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
} from 'class-validator';
import { UnlessAbsent } from '../../common/validation/unless-absent.decorator';
import { PaginationQueryDto } from '../../common/pagination/pagination-query.dto';
import { ALL_PERMISSIONS, Permission } from '../../rbac/permission';
import type { ApiKey } from '../entities/api-key.entity';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci-deploy' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional({
    minimum: 1,
    description: 'Days until the key expires (default API_KEY_DEFAULT_TTL_DAYS, at most API_KEY_MAX_TTL_DAYS).',
  })
  @UnlessAbsent()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;

  @ApiPropertyOptional({
    enum: ALL_PERMISSIONS,
    isArray: true,
    description: 'What the key may do; omitted, it may do what its owner may. Never more than the owner has.',
  })
  @UnlessAbsent()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(ALL_PERMISSIONS.length)
  @IsIn(ALL_PERMISSIONS, { each: true })
  permissions?: Permission[];

  @ApiPropertyOptional({
    format: 'password',
    description: 'The current password: needed unless the session logged in within RECENT_AUTH_MINUTES.',
  })
  @UnlessAbsent()
  @IsString()
  @Length(1, 400)
  currentPassword?: string;
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({
    minimum: 0,
    description: 'Minutes the old secret keeps working (default API_KEY_ROTATION_GRACE_MINUTES).',
  })
  @UnlessAbsent()
  @IsInt()
  @Min(0)
  @Max(10080)
  graceMinutes?: number;
}

export class ListApiKeysQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Another user’s keys (needs users:manage).' })
  @IsOptional()
  @IsUUID('4')
  ownerId?: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The part of the key that identifies it (snt_<publicId>_...); not a secret.' })
  publicId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ format: 'uuid' })
  ownerId!: string;

  @ApiProperty({ enum: ALL_PERMISSIONS, isArray: true, nullable: true, description: 'null: whatever the owner may.' })
  permissions!: Permission[] | null;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  rotatedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  lastUsedIp!: string | null;

  @ApiProperty({ description: 'Uses counted so far (written every few seconds).' })
  useCount!: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static from(key: ApiKey): ApiKeyDto {
    return {
      id: key.id,
      publicId: key.publicId,
      name: key.name,
      ownerId: key.ownerId,
      permissions: key.permissions,
      expiresAt: key.expiresAt.toISOString(),
      revokedAt: key.revokedAt?.toISOString() ?? null,
      rotatedAt: key.rotatedAt?.toISOString() ?? null,
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      lastUsedIp: key.lastUsedIp,
      useCount: Number(key.useCount),
      createdAt: key.createdAt.toISOString(),
    };
  }
}

export class IssuedApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    description: 'The key, shown this once: snt_<publicId>_<secret>.',
    example: 'snt_0123456789abcdef_...',
  })
  key!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: ALL_PERMISSIONS, isArray: true, nullable: true })
  permissions!: Permission[] | null;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}
