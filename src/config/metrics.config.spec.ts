import { ConfigValidationError } from './config-validation.util';
import { metricsConfig } from './metrics.config';

const VARIABLES = [
  'METRICS_ENABLED',
  'METRICS_SCRAPE_TOKEN',
  'METRICS_SAMPLE_RATE',
  'METRICS_SLOW_REQUEST_MS',
  'METRICS_RETENTION_DAYS',
  'METRICS_AGENT_SPEED_BUDGET_MS',
  'METRICS_BUFFER_MAX',
  'METRICS_BATCH_MAX',
  'METRICS_FLUSH_INTERVAL_MS',
];

describe('metrics configuration', () => {
  const originalEnv = process.env;

  beforeEach(() => {
    process.env = Object.fromEntries(Object.entries(originalEnv).filter(([name]) => !VARIABLES.includes(name)));
  });

  afterEach(() => {
    process.env = originalEnv;
  });

  it('has the documented defaults', () => {
    expect(metricsConfig()).toEqual({
      enabled: true,
      scrapeToken: undefined,
      sampleRate: 0.1,
      slowRequestMs: 1000,
      retentionDays: 90,
      agentSpeedBudgetMs: 60_000,
      bufferMax: 10_000,
      batchMax: 500,
      flushIntervalMs: 1000,
    });
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['0.25', 0.25],
    ['.5', 0.5],
  ])('reads METRICS_SAMPLE_RATE=%s as %d', (raw, expected) => {
    process.env.METRICS_SAMPLE_RATE = raw;
    expect(metricsConfig().sampleRate).toBe(expected);
  });

  it.each(['1.5', '-0.1', 'half', '1e-1', '0x1'])('refuses METRICS_SAMPLE_RATE=%s', (raw) => {
    process.env.METRICS_SAMPLE_RATE = raw;
    expect(() => metricsConfig()).toThrow(ConfigValidationError);
    expect(() => metricsConfig()).toThrow(/METRICS_SAMPLE_RATE must be a number between 0 and 1/);
  });

  it('refuses a short scrape token without echoing it', () => {
    process.env.METRICS_SCRAPE_TOKEN = 'too-short-secret';
    expect(() => metricsConfig()).toThrow(/METRICS_SCRAPE_TOKEN must be at least 32 characters$/);
  });
});
