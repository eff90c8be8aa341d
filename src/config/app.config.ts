import { resolve } from 'node:path';
import { registerAs } from '@nestjs/config';
import { IsDefined, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { Transform } from 'class-transformer';
import { parseWorkerCount } from '../cluster/worker-count';
import { ConfigValidationError, validateEnvironment } from './config-validation.util';
import { ToInteger, ToList } from './env-transform.util';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.util';

export const NODE_ENVIRONMENTS = ['development', 'production', 'test'] as const;
export type NodeEnvironment = (typeof NODE_ENVIRONMENTS)[number];

class AppEnvironment {
  @IsIn(NODE_ENVIRONMENTS)
  NODE_ENV: NodeEnvironment = 'development';

  @ToInteger()
  @IsInt({ message: 'must be an integer between 1 and 65535' })
  @Min(1, { message: 'must be an integer between 1 and 65535' })
  @Max(65535, { message: 'must be an integer between 1 and 65535' })
  PORT = 3000;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  // A value parseTrustProxy cannot read becomes undefined, which @IsDefined reports with the value given.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? parseTrustProxy(value) : value))
  @IsDefined({
    message: 'must be false, true (one hop), a hop count up to 32, or a comma list of proxy addresses/CIDRs',
  })
  TRUST_PROXY: TrustProxy = false;

  @ToList()
  @IsString({ each: true })
  CORS_ORIGINS: string[] = [];

  @ToInteger()
  @IsInt({ message: 'must be a whole number of bytes between 1024 and 104857600' })
  @Min(1024, { message: 'must be a whole number of bytes between 1024 and 104857600' })
  @Max(104857600, { message: 'must be a whole number of bytes between 1024 and 104857600' })
  BODY_LIMIT_BYTES = 1048576;

  @ToInteger()
  @IsInt({ message: 'must be a whole number of milliseconds between 0 and 600000' })
  @Min(0, { message: 'must be a whole number of milliseconds between 0 and 600000' })
  @Max(600000, { message: 'must be a whole number of milliseconds between 0 and 600000' })
  SHUTDOWN_TIMEOUT_MS = 10000;

  @ToInteger()
  @IsInt({ message: 'must be an integer between 1 and 1000000' })
  @Min(1, { message: 'must be an integer between 1 and 1000000' })
  @Max(1000000, { message: 'must be an integer between 1 and 1000000' })
  RATE_LIMIT_PER_MINUTE = 600;

  @IsString()
  WORKERS = '1';

  @ToInteger()
  @IsInt({ message: 'must be a whole percentage between 0 and 300' })
  @Min(0, { message: 'must be a whole percentage between 0 and 300' })
  @Max(300, { message: 'must be a whole percentage between 0 and 300' })
  HEAP_GROWTH_PERCENT = 40;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;
}

export const appConfig = registerAs('app', () => {
  const env = validateEnvironment(AppEnvironment, process.env);
  const workers = parseWorkerCount(env.WORKERS);
  if (typeof workers === 'string') throw new ConfigValidationError('WORKERS', workers);
  return {
    nodeEnv: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    port: env.PORT,
    host: env.HOST,
    dataDir: resolve(env.DATA_DIR),
    trustProxy: env.TRUST_PROXY,
    corsOrigins: env.CORS_ORIGINS,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    workers,
    /** How far the old generation may grow between full collections (src/runtime/heap-growth.ts); 0 leaves V8's rule. */
    heapGrowthPercent: env.HEAP_GROWTH_PERCENT,
    /** Where rate-limit counters live when set; PostgreSQL otherwise. */
    redisUrl: env.REDIS_URL,
  };
});
