import { resolve } from 'node:path';
import { registerAs } from '@nestjs/config';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { ConfigValidationError, validateEnvironment } from './config-validation.util';
import { ToBoolean, ToInteger } from './env-transform.util';

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });
/** Five or six space-separated cron fields (seconds optional), as @nestjs/schedule reads them. */
const CRON = /^\s*(\S+\s+){4,5}\S+\s*$/;
const cron = { message: 'must be a cron expression of five or six fields, or empty to turn the schedule off' };

class BackupEnvironment {
  @IsString()
  @MinLength(1)
  BACKUP_DIR = './backups';

  @ToInteger()
  @IsInt(range(1, 36500))
  @Min(1, range(1, 36500))
  @Max(36500, range(1, 36500))
  BACKUP_RETENTION_DAYS = 30;

  /** At most this many completed backups are kept (besides what a kept chain needs); unset: no count limit. */
  @IsOptional()
  @ToInteger()
  @IsInt(range(1, 100000))
  @Min(1, range(1, 100000))
  @Max(100000, range(1, 100000))
  BACKUP_RETENTION_COUNT?: number;

  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  ENABLE_BACKUP_COMPRESSION = true;

  @ToInteger()
  @IsInt(range(1, 9))
  @Min(1, range(1, 9))
  @Max(9, range(1, 9))
  BACKUP_COMPRESSION_LEVEL = 1;

  /** COPY streams a backup reads at once, each on its own connection, all in one exported snapshot. */
  @ToInteger()
  @IsInt(range(1, 16))
  @Min(1, range(1, 16))
  @Max(16, range(1, 16))
  BACKUP_PARALLELISM = 2;

  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  ENABLE_BACKUP_ENCRYPTION = true;

  /** 32 random bytes, base64: `openssl rand -base64 32`. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes in base64 (openssl rand -base64 32)' })
  BACKUP_ENCRYPTION_KEY?: string;

  @IsOptional()
  @Matches(CRON, cron)
  BACKUP_FULL_CRON?: string;

  @IsOptional()
  @Matches(CRON, cron)
  BACKUP_INCREMENTAL_CRON?: string;

  @ToInteger()
  @IsInt(range(1, 87600))
  @Min(1, range(1, 87600))
  @Max(87600, range(1, 87600))
  BACKUP_MAX_AGE_HOURS = 26;

  @IsOptional()
  @IsString()
  @MinLength(3)
  BACKUP_S3_BUCKET?: string;

  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http:// or https:// URL' })
  BACKUP_S3_ENDPOINT?: string;

  @IsString()
  @MinLength(1)
  BACKUP_S3_REGION = 'us-east-1';

  @IsString()
  BACKUP_S3_PREFIX = 'sentinel/';

  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  BACKUP_S3_FORCE_PATH_STYLE = false;

  @IsOptional()
  @IsString()
  @MinLength(1)
  BACKUP_S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  BACKUP_S3_SECRET_ACCESS_KEY?: string;
}

export interface S3Target {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Unset: the SDK's default chain (environment, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export const backupConfig = registerAs('backup', () => {
  const env = validateEnvironment(BackupEnvironment, process.env);
  // Instances on one database must read each other's backups; only the embedded default may generate a key.
  if (env.ENABLE_BACKUP_ENCRYPTION && env.BACKUP_ENCRYPTION_KEY === undefined && process.env.DATABASE_URL) {
    throw new ConfigValidationError(
      'BACKUP_ENCRYPTION_KEY',
      'is required when DATABASE_URL is set and ENABLE_BACKUP_ENCRYPTION is true (32 bytes, base64)',
    );
  }
  if ((env.BACKUP_S3_ACCESS_KEY_ID === undefined) !== (env.BACKUP_S3_SECRET_ACCESS_KEY === undefined)) {
    throw new ConfigValidationError('BACKUP_S3_SECRET_ACCESS_KEY', 'and BACKUP_S3_ACCESS_KEY_ID go together');
  }
  return {
    dir: resolve(env.BACKUP_DIR),
    retentionDays: env.BACKUP_RETENTION_DAYS,
    retentionCount: env.BACKUP_RETENTION_COUNT,
    compression: env.ENABLE_BACKUP_COMPRESSION,
    compressionLevel: env.BACKUP_COMPRESSION_LEVEL,
    parallelism: env.BACKUP_PARALLELISM,
    encryption: env.ENABLE_BACKUP_ENCRYPTION,
    encryptionKey: env.BACKUP_ENCRYPTION_KEY,
    fullCron: env.BACKUP_FULL_CRON?.trim(),
    incrementalCron: env.BACKUP_INCREMENTAL_CRON?.trim(),
    maxAgeHours: env.BACKUP_MAX_AGE_HOURS,
    s3: s3Target(env),
  };
});

function s3Target(env: BackupEnvironment): S3Target | undefined {
  if (env.BACKUP_S3_BUCKET === undefined) return undefined;
  const credentials =
    env.BACKUP_S3_ACCESS_KEY_ID && env.BACKUP_S3_SECRET_ACCESS_KEY
      ? { accessKeyId: env.BACKUP_S3_ACCESS_KEY_ID, secretAccessKey: env.BACKUP_S3_SECRET_ACCESS_KEY }
      : undefined;
  return {
    bucket: env.BACKUP_S3_BUCKET,
    prefix: env.BACKUP_S3_PREFIX,
    endpoint: env.BACKUP_S3_ENDPOINT,
    region: env.BACKUP_S3_REGION,
    forcePathStyle: env.BACKUP_S3_FORCE_PATH_STYLE,
    credentials,
  };
}
