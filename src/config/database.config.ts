import { registerAs } from '@nestjs/config';
import { IsBoolean, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { validateEnvironment } from './config-validation.util';
import { ToBoolean, ToInteger } from './env-transform.util';

class DatabaseEnvironment {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /** Set by the WORKERS primary for its workers: the embedded server it started (not for operators). */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  SENTINEL_EMBEDDED_DATABASE_URL?: string;

  @ToInteger()
  @IsInt({ message: 'must be an integer between 1 and 200' })
  @Min(1, { message: 'must be an integer between 1 and 200' })
  @Max(200, { message: 'must be an integer between 1 and 200' })
  DATABASE_POOL_SIZE = 10;

  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  MIGRATIONS_RUN = true;

  @ToInteger()
  @IsInt({ message: 'must be 0 (pick a free port) or a port between 1024 and 65535' })
  @Min(0, { message: 'must be 0 (pick a free port) or a port between 1024 and 65535' })
  @Max(65535, { message: 'must be 0 (pick a free port) or a port between 1024 and 65535' })
  EMBEDDED_DB_PORT = 0;

  @ToInteger()
  @IsInt({ message: 'must be an integer between 0 and 24' })
  @Min(0, { message: 'must be an integer between 0 and 24' })
  @Max(24, { message: 'must be an integer between 0 and 24' })
  PARTITION_MONTHS_BEHIND = 1;

  @ToInteger()
  @IsInt({ message: 'must be an integer between 1 and 24' })
  @Min(1, { message: 'must be an integer between 1 and 24' })
  @Max(24, { message: 'must be an integer between 1 and 24' })
  PARTITION_MONTHS_AHEAD = 1;
}

export const databaseConfig = registerAs('database', () => {
  const env = validateEnvironment(DatabaseEnvironment, process.env);
  return {
    url: env.DATABASE_URL,
    embeddedUrl: env.SENTINEL_EMBEDDED_DATABASE_URL,
    poolSize: env.DATABASE_POOL_SIZE,
    migrationsRun: env.MIGRATIONS_RUN,
    embeddedPort: env.EMBEDDED_DB_PORT,
    partitionMonthsBehind: env.PARTITION_MONTHS_BEHIND,
    partitionMonthsAhead: env.PARTITION_MONTHS_AHEAD,
  };
});
