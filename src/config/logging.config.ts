import { registerAs } from '@nestjs/config';
import { IsIn } from 'class-validator';
import { Transform } from 'class-transformer';
import { validateEnvironment } from './config-validation.util';

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;

const lowerCase = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .trim()
        .toLowerCase()
        .replace(/^warn$/, 'warning')
    : value,
);

class LoggingEnvironment {
  @lowerCase
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  @lowerCase
  @IsIn(LOG_FORMATS, { message: `must be one of ${LOG_FORMATS.join(', ')}` })
  LOG_FORMAT: (typeof LOG_FORMATS)[number] = 'json';
}

export const loggingConfig = registerAs('logging', () => {
  const env = validateEnvironment(LoggingEnvironment, process.env);
  return { level: env.LOG_LEVEL, format: env.LOG_FORMAT };
});
