import { resolve } from 'node:path';
import { appConfig, assertValidConfiguration, ConfigValidationError, databaseConfig, loggingConfig } from './index';

const CONFIG_VARIABLES = [
  'NODE_ENV',
  'PORT',
  'HOST',
  'DATA_DIR',
  'TRUST_PROXY',
  'CORS_ORIGINS',
  'BODY_LIMIT_BYTES',
  'SHUTDOWN_TIMEOUT_MS',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'MIGRATIONS_RUN',
  'EMBEDDED_DB_PORT',
  'LOG_LEVEL',
  'LOG_FORMAT',
];

/** The error a config factory throws, so its message can be inspected; fails the test if none is thrown. */
function configError(factory: () => unknown): ConfigValidationError {
  try {
    factory();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return error as ConfigValidationError;
  }
  throw new Error('expected a ConfigValidationError, but the configuration was accepted');
}

describe('configuration validation', () => {
  const originalEnv = process.env;

  beforeEach(() => {
    // Unrelated variables stay, as they would in a real environment; ours start unset.
    process.env = Object.fromEntries(Object.entries(originalEnv).filter(([name]) => !CONFIG_VARIABLES.includes(name)));
  });

  afterEach(() => {
    process.env = originalEnv;
  });

  function setEnv(values: Record<string, string>): void {
    Object.assign(process.env, values);
  }

  // toMatchObject: namespaces gain variables as features land; these defaults must hold regardless.
  it('uses the defaults when nothing is set', () => {
    expect(appConfig()).toMatchObject({
      nodeEnv: 'development',
      isProduction: false,
      port: 3000,
      host: '0.0.0.0',
      dataDir: resolve('data'),
      trustProxy: false,
      corsOrigins: [],
      bodyLimitBytes: 1048576,
      shutdownTimeoutMs: 10000,
      heapGrowthPercent: 40,
    });
    expect(databaseConfig()).toMatchObject({ url: undefined, poolSize: 10, migrationsRun: true, embeddedPort: 0 });
    expect(loggingConfig()).toMatchObject({ level: 'info', format: 'json' });
    expect(() => {
      assertValidConfiguration();
    }).not.toThrow();
  });

  it('treats an empty string as unset', () => {
    setEnv({ PORT: '', DATABASE_URL: '', LOG_LEVEL: '', TRUST_PROXY: '', MIGRATIONS_RUN: '' });
    expect(appConfig().port).toBe(3000);
    expect(appConfig().trustProxy).toBe(false);
    expect(databaseConfig().url).toBeUndefined();
    expect(databaseConfig().migrationsRun).toBe(true);
    expect(loggingConfig().level).toBe('info');
  });

  it('reads valid values with their types', () => {
    setEnv({
      NODE_ENV: 'production',
      PORT: '8080',
      TRUST_PROXY: 'yes',
      DATABASE_URL: 'postgresql://u:p@db:5432/sentinel',
      DATABASE_POOL_SIZE: ' 25 ',
      MIGRATIONS_RUN: 'false',
    });
    // TRUST_PROXY=yes trusts one hop (the proxy in front), not every hop: the client writes the left-most ones.
    expect(appConfig()).toMatchObject({ nodeEnv: 'production', isProduction: true, port: 8080, trustProxy: 1 });
    expect(databaseConfig()).toMatchObject({
      url: 'postgresql://u:p@db:5432/sentinel',
      poolSize: 25,
      migrationsRun: false,
    });
  });

  it.each(['abc', '0', '70000', '12abc', '1.5', '-1'])('rejects PORT=%s with one line naming it', (value) => {
    setEnv({ PORT: value });
    const error = configError(() => appConfig());
    expect(error.variable).toBe('PORT');
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(/\bPORT\b/);
    expect(error.message).toContain(JSON.stringify(value));
  });

  it.each(['-1', '301', '12.5', 'lots'])('rejects HEAP_GROWTH_PERCENT=%s', (value) => {
    setEnv({ HEAP_GROWTH_PERCENT: value });
    const error = configError(() => appConfig());
    expect(error.variable).toBe('HEAP_GROWTH_PERCENT');
    expect(error.message).toContain(JSON.stringify(value));
  });

  it('names a malformed DATABASE_URL without echoing its value', () => {
    setEnv({ DATABASE_URL: 'mysql://admin:hunter2@db/x' });
    const error = configError(() => databaseConfig());
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).toMatch(/\bDATABASE_URL\b/);
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('mysql');
  });

  it('rejects TRUST_PROXY that is neither a boolean, a hop count nor a proxy list', () => {
    setEnv({ TRUST_PROXY: 'maybe' });
    const error = configError(() => appConfig());
    expect(error.variable).toBe('TRUST_PROXY');
    expect(error.message).toContain('"maybe"');
  });

  it('rejects an unknown LOG_LEVEL', () => {
    setEnv({ LOG_LEVEL: 'loud' });
    const error = configError(() => loggingConfig());
    expect(error.variable).toBe('LOG_LEVEL');
    expect(error.message).toContain('"loud"');
  });

  it('normalises LOG_LEVEL case and the "warn" alias', () => {
    setEnv({ LOG_LEVEL: 'WARN', LOG_FORMAT: ' Pretty ' });
    expect(loggingConfig()).toMatchObject({ level: 'warning', format: 'pretty' });
  });

  it('splits CORS_ORIGINS on commas and drops blanks', () => {
    setEnv({ CORS_ORIGINS: 'a, ,b' });
    expect(appConfig().corsOrigins).toEqual(['a', 'b']);
  });

  it('resolves DATA_DIR to an absolute path', () => {
    setEnv({ DATA_DIR: 'var/sentinel' });
    expect(appConfig().dataDir).toBe(resolve(process.cwd(), 'var/sentinel'));
    setEnv({ DATA_DIR: '/srv/sentinel' });
    expect(appConfig().dataDir).toBe('/srv/sentinel');
  });

  it('checks every namespace at once', () => {
    setEnv({ LOG_FORMAT: 'xml' });
    expect(() => {
      assertValidConfiguration();
    }).toThrow(ConfigValidationError);
    expect(() => {
      assertValidConfiguration();
    }).toThrow(/LOG_FORMAT/);
  });
});
