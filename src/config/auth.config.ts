import { availableParallelism } from 'node:os';
import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { ConfigValidationError, validateEnvironment } from './config-validation.util';
import { ToInteger, ToList } from './env-transform.util';

export const PASSWORD_HASH_ALGORITHMS = ['pbkdf2', 'argon2id'] as const;
export type PasswordHashAlgorithm = (typeof PASSWORD_HASH_ALGORITHMS)[number];
/** OWASP's figure for PBKDF2-HMAC-SHA256 (2023); the seed's 100000 is the floor. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
export const MIN_PBKDF2_ITERATIONS = 100_000;

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });

class AuthEnvironment {
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'sentinel';

  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'sentinel-api';

  @ToInteger()
  @IsInt(range(1, 720))
  @Min(1, range(1, 720))
  @Max(720, range(1, 720))
  SESSION_TTL_HOURS = 24;

  @ToInteger()
  @IsInt(range(1, 1440))
  @Min(1, range(1, 1440))
  @Max(1440, range(1, 1440))
  SESSION_IDLE_TIMEOUT_MINUTES = 30;

  @ToInteger()
  @IsInt(range(1, 100))
  @Min(1, range(1, 100))
  @Max(100, range(1, 100))
  MAX_FAILED_ATTEMPTS = 5;

  /** Failures from all ips that lock the account for everyone: far above MAX_FAILED_ATTEMPTS (see README, Lockout). */
  @ToInteger()
  @IsInt(range(1, 100000))
  @Min(1, range(1, 100000))
  @Max(100000, range(1, 100000))
  MAX_FAILED_ATTEMPTS_PER_ACCOUNT = 50;

  /** The first lock's length and the wait increment: the n-th lock in a row lasts n times this. */
  @ToInteger()
  @IsInt(range(1, 10080))
  @Min(1, range(1, 10080))
  @Max(10080, range(1, 10080))
  LOCKOUT_MINUTES = 15;

  @ToInteger()
  @IsInt(range(1, 43200))
  @Min(1, range(1, 43200))
  @Max(43200, range(1, 43200))
  LOCKOUT_MAX_MINUTES = 240;

  /** Failures (and the count of locks) are forgotten this long after the last attempt or the end of a lock. */
  @ToInteger()
  @IsInt(range(1, 43200))
  @Min(1, range(1, 43200))
  @Max(43200, range(1, 43200))
  FAILURE_RESET_MINUTES = 60;

  /** 0: never. Otherwise the account is locked until unlocked after this many temporary locks. */
  @ToInteger()
  @IsInt(range(0, 1000))
  @Min(0, range(0, 1000))
  @Max(1000, range(0, 1000))
  PERMANENT_LOCKOUT_AFTER = 0;

  /** How long after a login MFA enrolment and API-key issuance need no password again. */
  @ToInteger()
  @IsInt(range(1, 1440))
  @Min(1, range(1, 1440))
  @Max(1440, range(1, 1440))
  RECENT_AUTH_MINUTES = 5;

  @ToInteger()
  @IsInt(range(1, 1000))
  @Min(1, range(1, 1000))
  @Max(1000, range(1, 1000))
  SESSION_MAX_PER_USER = 10;

  @IsIn(PASSWORD_HASH_ALGORITHMS, { message: `must be one of ${PASSWORD_HASH_ALGORITHMS.join(', ')}` })
  PASSWORD_HASH_ALGORITHM: PasswordHashAlgorithm = 'pbkdf2';

  @ToInteger()
  @IsInt(range(MIN_PBKDF2_ITERATIONS, 10_000_000))
  @Min(MIN_PBKDF2_ITERATIONS, range(MIN_PBKDF2_ITERATIONS, 10_000_000))
  @Max(10_000_000, range(MIN_PBKDF2_ITERATIONS, 10_000_000))
  PASSWORD_PBKDF2_ITERATIONS = DEFAULT_PBKDF2_ITERATIONS;

  @ToInteger()
  @IsInt(range(1, 64))
  @Min(1, range(1, 64))
  @Max(64, range(1, 64))
  PASSWORD_HASH_CONCURRENCY = availableParallelism();

  @ToInteger()
  @IsInt(range(1, 10000))
  @Min(1, range(1, 10000))
  @Max(10000, range(1, 10000))
  LOGIN_RATE_LIMIT_PER_MINUTE = 20;

  @ToList()
  @IsIn(['ADMIN', 'OPERATOR', 'AUDITOR'], { each: true, message: 'must list roles among ADMIN, OPERATOR, AUDITOR' })
  MFA_REQUIRED_ROLES: string[] = [];

  @IsOptional()
  @IsString()
  ADMIN_INITIAL_PASSWORD?: string;

  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{3,64}$/, { message: 'must be 3 to 64 letters, digits, dots, dashes or underscores' })
  ADMIN_USERNAME = 'admin';
}

export const authConfig = registerAs('auth', () => {
  const env = validateEnvironment(AuthEnvironment, process.env);
  // Instances that share a database must share the signing key; only the
  // single-process embedded default may generate one and keep it in DATA_DIR.
  if (env.JWT_SECRET === undefined && process.env.DATABASE_URL) {
    throw new ConfigValidationError('JWT_SECRET', 'is required when DATABASE_URL is set (at least 32 characters)');
  }
  return {
    jwtSecret: env.JWT_SECRET,
    jwtIssuer: env.JWT_ISSUER,
    jwtAudience: env.JWT_AUDIENCE,
    sessionTtlHours: env.SESSION_TTL_HOURS,
    sessionIdleTimeoutMinutes: env.SESSION_IDLE_TIMEOUT_MINUTES,
    lockout: {
      maxFailedAttempts: env.MAX_FAILED_ATTEMPTS,
      maxFailedAttemptsPerAccount: env.MAX_FAILED_ATTEMPTS_PER_ACCOUNT,
      lockoutMinutes: env.LOCKOUT_MINUTES,
      maxLockoutMinutes: Math.max(env.LOCKOUT_MAX_MINUTES, env.LOCKOUT_MINUTES),
      failureResetMinutes: env.FAILURE_RESET_MINUTES,
      permanentLockoutAfter: env.PERMANENT_LOCKOUT_AFTER,
    },
    recentAuthMinutes: env.RECENT_AUTH_MINUTES,
    sessionMaxPerUser: env.SESSION_MAX_PER_USER,
    adminUsername: env.ADMIN_USERNAME,
    passwordHashAlgorithm: env.PASSWORD_HASH_ALGORITHM,
    pbkdf2Iterations: env.PASSWORD_PBKDF2_ITERATIONS,
    passwordHashConcurrency: env.PASSWORD_HASH_CONCURRENCY,
    loginRateLimitPerMinute: env.LOGIN_RATE_LIMIT_PER_MINUTE,
    mfaRequiredRoles: env.MFA_REQUIRED_ROLES,
    adminInitialPassword: env.ADMIN_INITIAL_PASSWORD,
  };
});
