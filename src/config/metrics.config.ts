import { registerAs } from '@nestjs/config';
import { IsBoolean, IsInt, IsNumber, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { validateEnvironment } from './config-validation.util';
import { ToBoolean, ToDecimal, ToInteger } from './env-transform.util';

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });
const fraction = { message: 'must be a number between 0 and 1' };

class MetricsEnvironment {
  /** Off: HTTP requests are neither measured nor stored and the tracking decorators do nothing (benchmarks). */
  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  METRICS_ENABLED = true;

  /** Bearer token a Prometheus server presents to scrape /metrics; unset, only metrics:read callers may. */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  METRICS_SCRAPE_TOKEN?: string;

  @ToDecimal()
  @IsNumber({ allowNaN: false, allowInfinity: false }, fraction)
  @Min(0, fraction)
  @Max(1, fraction)
  METRICS_SAMPLE_RATE = 0.1;

  @ToInteger()
  @IsInt(range(1, 3_600_000))
  @Min(1, range(1, 3_600_000))
  @Max(3_600_000, range(1, 3_600_000))
  METRICS_SLOW_REQUEST_MS = 1000;

  @ToInteger()
  @IsInt(range(1, 36500))
  @Min(1, range(1, 36500))
  @Max(36500, range(1, 36500))
  METRICS_RETENTION_DAYS = 90;

  @ToInteger()
  @IsInt(range(1, 86_400_000))
  @Min(1, range(1, 86_400_000))
  @Max(86_400_000, range(1, 86_400_000))
  METRICS_AGENT_SPEED_BUDGET_MS = 60_000;

  @ToInteger()
  @IsInt(range(100, 1_000_000))
  @Min(100, range(100, 1_000_000))
  @Max(1_000_000, range(100, 1_000_000))
  METRICS_BUFFER_MAX = 10_000;

  @ToInteger()
  @IsInt(range(1, 5000))
  @Min(1, range(1, 5000))
  @Max(5000, range(1, 5000))
  METRICS_BATCH_MAX = 500;

  @ToInteger()
  @IsInt(range(10, 60_000))
  @Min(10, range(10, 60_000))
  @Max(60_000, range(10, 60_000))
  METRICS_FLUSH_INTERVAL_MS = 1000;
}

export const metricsConfig = registerAs('metrics', () => {
  const env = validateEnvironment(MetricsEnvironment, process.env);
  return {
    enabled: env.METRICS_ENABLED,
    scrapeToken: env.METRICS_SCRAPE_TOKEN,
    sampleRate: env.METRICS_SAMPLE_RATE,
    slowRequestMs: env.METRICS_SLOW_REQUEST_MS,
    retentionDays: env.METRICS_RETENTION_DAYS,
    agentSpeedBudgetMs: env.METRICS_AGENT_SPEED_BUDGET_MS,
    bufferMax: env.METRICS_BUFFER_MAX,
    batchMax: env.METRICS_BATCH_MAX,
    flushIntervalMs: env.METRICS_FLUSH_INTERVAL_MS,
  };
});
