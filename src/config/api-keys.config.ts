import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigValidationError, validateEnvironment } from './config-validation.util';
import { ToInteger } from './env-transform.util';
import { parseKeyedSecrets } from './keyed-secrets.util';

/** The id of a pepper given as one value, and of every key hashed before peppers had ids. */
export const IMPLICIT_PEPPER_ID = 'p0';

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });

class ApiKeysEnvironment {
  /** One pepper, or `newest-id:value,older-id:value`: the first hashes new keys, every listed one verifies. */
  @IsOptional()
  @IsString()
  API_KEY_PEPPER?: string;

  @ToInteger()
  @IsInt(range(1, 3650))
  @Min(1, range(1, 3650))
  @Max(3650, range(1, 3650))
  API_KEY_DEFAULT_TTL_DAYS = 90;

  @ToInteger()
  @IsInt(range(1, 3650))
  @Min(1, range(1, 3650))
  @Max(3650, range(1, 3650))
  API_KEY_MAX_TTL_DAYS = 365;

  @ToInteger()
  @IsInt(range(0, 10080))
  @Min(0, range(0, 10080))
  @Max(10080, range(0, 10080))
  API_KEY_ROTATION_GRACE_MINUTES = 0;

  @ToInteger()
  @IsInt(range(1, 300))
  @Min(1, range(1, 300))
  @Max(300, range(1, 300))
  API_KEY_USAGE_FLUSH_SECONDS = 5;
}

export const apiKeysConfig = registerAs('apiKeys', () => {
  const env = validateEnvironment(ApiKeysEnvironment, process.env);
  if (env.API_KEY_PEPPER === undefined && process.env.DATABASE_URL) {
    throw new ConfigValidationError('API_KEY_PEPPER', 'is required when DATABASE_URL is set (at least 32 characters)');
  }
  if (env.API_KEY_DEFAULT_TTL_DAYS > env.API_KEY_MAX_TTL_DAYS) {
    throw new ConfigValidationError('API_KEY_DEFAULT_TTL_DAYS', 'must not exceed API_KEY_MAX_TTL_DAYS');
  }
  return {
    /** Newest first; empty on the embedded default, where one is generated into DATA_DIR. */
    peppers: parseKeyedSecrets('API_KEY_PEPPER', env.API_KEY_PEPPER, IMPLICIT_PEPPER_ID),
    defaultTtlDays: env.API_KEY_DEFAULT_TTL_DAYS,
    maxTtlDays: env.API_KEY_MAX_TTL_DAYS,
    rotationGraceMinutes: env.API_KEY_ROTATION_GRACE_MINUTES,
    usageFlushSeconds: env.API_KEY_USAGE_FLUSH_SECONDS,
  };
});
