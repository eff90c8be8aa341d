import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { ConfigValidationError, validateEnvironment } from './config-validation.util';
import { ToInteger } from './env-transform.util';

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });

class ApiKeysEnvironment {
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
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
    pepper: env.API_KEY_PEPPER,
    defaultTtlDays: env.API_KEY_DEFAULT_TTL_DAYS,
    maxTtlDays: env.API_KEY_MAX_TTL_DAYS,
    rotationGraceMinutes: env.API_KEY_ROTATION_GRACE_MINUTES,
    usageFlushSeconds: env.API_KEY_USAGE_FLUSH_SECONDS,
  };
});
