import { resolve } from 'node:path';
import { registerAs } from '@nestjs/config';
import { IsBoolean, IsIn, IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { validateEnvironment } from './config-validation.util';
import { ToBoolean, ToInteger, ToList } from './env-transform.util';

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

  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  TRUST_PROXY = false;

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
}

export const appConfig = registerAs('app', () => {
  const env = validateEnvironment(AppEnvironment, process.env);
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
  };
});
