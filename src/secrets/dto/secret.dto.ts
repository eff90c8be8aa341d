import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateBy } from 'class-validator';
import { UnlessAbsent } from '../../common/validation/unless-absent.decorator';
import { PaginationQueryDto } from '../../common/pagination/pagination-query.dto';
import { SECRET_TYPES, type Secret, type SecretType } from '../entities/secret.entity';
import type { SecretRotation } from '../entities/secret-rotation.entity';
import type { SecretVersion } from '../entities/secret-version.entity';

/** Path-like: `team/service/db-password`; segments of letters, digits, `_`, `-` and `.`. */
export const SECRET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
const MAX_VALUE = 65_536;
const MAX_METADATA_KEYS = 50;

/** A flat object of at most 50 string values, each at most 512 characters. */
const IsStringRecord = (): PropertyDecorator =>
  ValidateBy({
    name: 'isStringRecord',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length <= MAX_METADATA_KEYS &&
        Object.entries(value).every(
          ([key, field]) => key.length <= 128 && typeof field === 'string' && field.length <= 512,
        ),
      defaultMessage: () => 'metadata must be an object of at most 50 string values',
    },
  });

export class CreateSecretDto {
  @ApiProperty({ example: 'team/service/db-password', description: 'Path-like and unique; URL-encode `/` in paths.' })
  @IsString()
  @Length(1, 255)
  @Matches(SECRET_NAME, { message: 'name must be path-like segments of [A-Za-z0-9_.-] separated by /' })
  name!: string;

  @ApiProperty({ enum: SECRET_TYPES })
  @IsIn(SECRET_TYPES)
  type!: SecretType;

  @ApiPropertyOptional({ description: 'Omitted: generated (password, token, signing_key only).', writeOnly: true })
  @UnlessAbsent()
  @IsString()
  @Length(1, MAX_VALUE)
  value?: string;

  @ApiPropertyOptional({ minimum: 1, description: 'Default SECURITY_KEY_ROTATION_INTERVAL_DAYS.' })
  @UnlessAbsent()
  @IsInt()
  @Min(1)
  @Max(3650)
  rotationIntervalDays?: number;

  @ApiPropertyOptional({ description: 'Writes to this secret must carry cas (always on with SECRETS_CAS_REQUIRED).' })
  @UnlessAbsent()
  @IsBoolean()
  casRequired?: boolean;

  @ApiPropertyOptional({ example: { owner: 'payments' }, description: 'Custom metadata: string values, never secret.' })
  @UnlessAbsent()
  @IsStringRecord()
  metadata?: Record<string, string>;
}

/** Versions are PostgreSQL integers: a larger one is a 400, not a query error. */
const MAX_VERSION = 2_147_483_647;

export class WriteSecretDto {
  @ApiProperty({ writeOnly: true })
  @IsString()
  @Length(1, MAX_VALUE)
  value!: string;

  @ApiPropertyOptional({
    description: 'The version you last read; a mismatch is 409.',
    type: 'integer',
    minimum: 0,
    maximum: MAX_VERSION,
  })
  @UnlessAbsent()
  @IsInt()
  @Min(0)
  @Max(MAX_VERSION)
  cas?: number;
}

export class ListSecretsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ example: 'team/service/' })
  @IsOptional()
  @IsString()
  @Length(0, 255)
  prefix?: string;
}

export class SecretValueQueryDto {
  @ApiPropertyOptional({
    description: 'Default: the current version.',
    type: 'integer',
    minimum: 1,
    maximum: MAX_VERSION,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  version?: number;
}

export class SecretMetadataDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: SECRET_TYPES }) type!: SecretType;
  @ApiProperty() currentVersion!: number;
  @ApiProperty() encryptionAlgorithm!: string;
  @ApiProperty() rotationIntervalDays!: number;
  @ApiProperty({ nullable: true, type: String }) lastRotatedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) nextRotationAt!: string | null;
  @ApiProperty() isActive!: boolean;
  @ApiProperty() casRequired!: boolean;
  @ApiProperty() generatable!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<string, string>;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(secret: Secret, generatable: boolean): SecretMetadataDto {
    return {
      id: secret.id,
      name: secret.name,
      type: secret.type,
      currentVersion: secret.currentVersion,
      encryptionAlgorithm: secret.encryptionAlgorithm,
      rotationIntervalDays: secret.rotationIntervalDays,
      lastRotatedAt: secret.lastRotatedAt?.toISOString() ?? null,
      nextRotationAt: secret.nextRotationAt?.toISOString() ?? null,
      isActive: secret.isActive,
      casRequired: secret.casRequired,
      generatable,
      metadata: secret.metadata,
      createdAt: secret.createdAt.toISOString(),
      updatedAt: secret.updatedAt.toISOString(),
    };
  }
}

export class SecretVersionDto {
  @ApiProperty() version!: number;
  @ApiProperty() origin!: string;
  @ApiProperty({ nullable: true, type: String }) createdBy!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) deletedAt!: string | null;
  @ApiProperty() destroyed!: boolean;

  static from(version: SecretVersion): SecretVersionDto {
    return {
      version: version.version,
      origin: version.origin,
      createdBy: version.createdBy,
      createdAt: version.createdAt.toISOString(),
      deletedAt: version.deletedAt?.toISOString() ?? null,
      destroyed: version.destroyedAt !== null,
    };
  }
}

export class SecretRotationDto {
  @ApiProperty({ nullable: true, type: Number }) fromVersion!: number | null;
  @ApiProperty() toVersion!: number;
  @ApiProperty({ enum: ['manual', 'write', 'schedule'] }) trigger!: string;
  @ApiProperty({ nullable: true, type: String, description: 'null: the schedule' }) rotatedBy!: string | null;
  @ApiProperty() rotatedAt!: string;

  static from(rotation: SecretRotation): SecretRotationDto {
    return {
      fromVersion: rotation.fromVersion,
      toVersion: rotation.toVersion,
      trigger: rotation.trigger,
      rotatedBy: rotation.rotatedBy,
      rotatedAt: rotation.rotatedAt.toISOString(),
    };
  }
}

export class SecretDetailDto extends SecretMetadataDto {
  @ApiProperty({ type: [SecretVersionDto] }) versions!: SecretVersionDto[];
  @ApiProperty({ type: [SecretRotationDto], description: 'Newest first, at most 50.' }) rotations!: SecretRotationDto[];
}

export class SecretValueDto {
  @ApiProperty() name!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ description: 'The secret value (only this endpoint returns it).' }) value!: string;
  @ApiProperty() createdAt!: string;
}
