import { ConfigValidationError } from './config-validation.util';
import { loggingConfig } from './logging.config';

const VARIABLES = [
  'LOG_LEVEL',
  'LOG_FORMAT',
  'LOGS_FILE',
  'LOG_RETENTION_DAYS',
  'LOG_STORE_ENABLED',
  'LOG_STORE_LEVEL',
  'LOG_STORE_BUFFER_MAX',
  'LOG_STORE_BATCH_MAX',
];

describe('logging configuration', () => {
  const originalEnv = process.env;

  beforeEach(() => {
    process.env = Object.fromEntries(Object.entries(originalEnv).filter(([name]) => !VARIABLES.includes(name)));
  });

  afterEach(() => {
    process.env = originalEnv;
  });

  it('defaults to a rotated logs/app.log kept 30 days, and stores info and above', () => {
    expect(loggingConfig()).toEqual({
      level: 'info',
      format: 'json',
      file: 'logs/app.log',
      retentionDays: 30,
      store: { enabled: true, level: 'info', bufferMax: 10_000, batchMax: 500 },
    });
  });

  it('reads LOGS_FILE= (empty) as "no file", unlike other variables where empty means the default', () => {
    process.env.LOGS_FILE = '';
    expect(loggingConfig().file).toBeUndefined();
    process.env.LOGS_FILE = ' /var/log/sentinel/app.log ';
    expect(loggingConfig().file).toBe('/var/log/sentinel/app.log');
  });

  it('reads the store settings', () => {
    Object.assign(process.env, {
      LOG_STORE_LEVEL: 'WARN',
      LOG_STORE_ENABLED: 'false',
      LOG_RETENTION_DAYS: '7',
      LOG_STORE_BUFFER_MAX: '500',
      LOG_STORE_BATCH_MAX: '50',
    });
    expect(loggingConfig()).toMatchObject({
      retentionDays: 7,
      store: { enabled: false, level: 'warning', bufferMax: 500, batchMax: 50 },
    });
  });

  it.each([
    ['LOG_STORE_LEVEL', 'critical'],
    ['LOG_RETENTION_DAYS', '0'],
    ['LOG_STORE_ENABLED', 'maybe'],
    ['LOG_STORE_BUFFER_MAX', '10'],
    ['LOG_STORE_BATCH_MAX', '0'],
  ])('refuses %s=%s, naming it', (variable, value) => {
    process.env[variable] = value;
    expect(() => loggingConfig()).toThrow(ConfigValidationError);
    expect(() => loggingConfig()).toThrow(new RegExp(`\\b${variable}\\b`));
  });
});
