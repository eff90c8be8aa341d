import { registerAs } from '@nestjs/config';
import { IsBoolean, IsIn, IsInt, IsString, Max, Min } from 'class-validator';
import { Transform } from 'class-transformer';
import { validateEnvironment } from './config-validation.util';
import { ToBoolean, ToInteger } from './env-transform.util';

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
/** `critical` is not offered: errors are always stored. */
export const LOG_STORE_LEVELS = ['debug', 'info', 'warning', 'error'] as const;

const lowerCase = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .trim()
        .toLowerCase()
        .replace(/^warn$/, 'warning')
    : value,
);

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });

class LoggingEnvironment {
  @lowerCase
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  @lowerCase
  @IsIn(LOG_FORMATS, { message: `must be one of ${LOG_FORMATS.join(', ')}` })
  LOG_FORMAT: (typeof LOG_FORMATS)[number] = 'json';

  @IsString()
  LOGS_FILE = 'logs/app.log';

  @ToInteger()
  @IsInt(range(1, 36500))
  @Min(1, range(1, 36500))
  @Max(36500, range(1, 36500))
  LOG_RETENTION_DAYS = 30;

  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  LOG_STORE_ENABLED = true;

  @lowerCase
  @IsIn(LOG_STORE_LEVELS, { message: `must be one of ${LOG_STORE_LEVELS.join(', ')}` })
  LOG_STORE_LEVEL: (typeof LOG_STORE_LEVELS)[number] = 'info';

  @ToInteger()
  @IsInt(range(100, 1_000_000))
  @Min(100, range(100, 1_000_000))
  @Max(1_000_000, range(100, 1_000_000))
  LOG_STORE_BUFFER_MAX = 10_000;

  @ToInteger()
  @IsInt(range(1, 5000))
  @Min(1, range(1, 5000))
  @Max(5000, range(1, 5000))
  LOG_STORE_BATCH_MAX = 500;
}

export const loggingConfig = registerAs('logging', () => {
  const env = validateEnvironment(LoggingEnvironment, process.env);
  return {
    level: env.LOG_LEVEL,
    format: env.LOG_FORMAT,
    // Elsewhere an empty variable means "the default"; here `LOGS_FILE=` is how a container or a test says "no file".
    file: process.env.LOGS_FILE?.trim() === '' ? undefined : env.LOGS_FILE.trim(),
    retentionDays: env.LOG_RETENTION_DAYS,
    store: {
      enabled: env.LOG_STORE_ENABLED,
      level: env.LOG_STORE_LEVEL,
      bufferMax: env.LOG_STORE_BUFFER_MAX,
      batchMax: env.LOG_STORE_BATCH_MAX,
    },
  };
});
