import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { Clock } from '../../src/common/clock/clock';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { appConfig } from '../../src/config';
import { AppLogger } from '../../src/observability/logging/app-logger.service';
import { createMigratedTestDatabase } from './test-database';
import type { TestClock } from './test-clock';

export interface TestApp {
  app: NestFastifyApplication;
  /** Base URL of the listening server: tests speak real HTTP to it. */
  baseUrl: string;
  databaseUrl: string;
  /** BACKUP_DIR of this app. */
  backupDir: string;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  /** Extra controllers mounted beside AppModule's, for routes that exist only in a test. */
  controllers?: Type<unknown>[];
  /** Extra providers beside AppModule's, for services that exist only in a test (reach them with app.get). */
  providers?: Type<unknown>[];
  /**
   * Runs on this existing database instead of a fresh one, which the app then
   * does not drop on close: for several apps sharing one database.
   */
  databaseUrl?: string;
  /** Replaces the app's clock, so a test can move time instead of sleeping. */
  clock?: TestClock;
  /**
   * Runs once the app's providers are built and before it registers its
   * routes and listens: to build another app in between, as a process that
   * builds several at once may.
   */
  beforeListen?: () => Promise<void>;
}

/**
 * The password of the initial `admin` in every test app (it must still change it at first login).
 * It must pass the password policy, which refuses a password containing the username.
 */
export const TEST_ADMIN_PASSWORD = 'Initial-root-Pass-for-tests-7';

/** The backup encryption key of every test app (32 bytes, base64). */
export const TEST_BACKUP_KEY = Buffer.alloc(32, 7).toString('base64');

/** The secrets master keyring of every test app: one key, id `t1`. */
export const TEST_MASTER_KEYS = `t1:${Buffer.alloc(32, 9).toString('base64')}`;

/**
 * The whole application, as main.ts builds it, on a fresh database of its own,
 * listening on a free loopback port. `env` sets configuration for this app only
 * (Jest gives every test file its own copy of process.env).
 */
export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: () => Promise.resolve() }
    : await createMigratedTestDatabase();
  const ownBackupDir = !('BACKUP_DIR' in env);
  const backupDir = ownBackupDir ? await mkdtemp(join(tmpdir(), 'sentinel-test-backups-')) : env.BACKUP_DIR;
  const removeBackupDir = () => (ownBackupDir ? rm(backupDir, { recursive: true, force: true }) : Promise.resolve());
  Object.assign(process.env, {
    LOG_LEVEL: 'error',
    // No log file: a test that wants one names a temporary path.
    LOGS_FILE: '',
    NODE_ENV: 'test',
    // Required whenever DATABASE_URL is set; a test may override it through `env`.
    JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef',
    API_KEY_PEPPER: 'test-only-api-key-pepper-0123456789abcdef',
    AUDIT_CHAIN_KEY: 'test-only-audit-chain-key-0123456789abcdef',
    BACKUP_ENCRYPTION_KEY: TEST_BACKUP_KEY,
    SECRETS_MASTER_KEYS: TEST_MASTER_KEYS,
    // Suites written before short access tokens move their clocks past 15 minutes on one token; the
    // token tests (test/secrets/refresh-tokens.e2e-spec.ts) set ACCESS_TOKEN_TTL_MINUTES=15 themselves.
    ACCESS_TOKEN_TTL_MINUTES: '1440',
    // Backups of this app only, under a temporary directory removed on close.
    BACKUP_DIR: backupDir,
    ADMIN_INITIAL_PASSWORD: TEST_ADMIN_PASSWORD,
    // The lowest accepted cost keeps suites fast; the default (600000) is exercised by the bench.
    PASSWORD_PBKDF2_ITERATIONS: '100000',
    // Suites log in far more often than a person would; the login limit has its own test.
    LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
    RATE_LIMIT_PER_MINUTE: '100000',
    // Every suite talks from loopback and many fail logins or probe on purpose: the security monitor must
    // not block them. Its own tests set their own allowlist and speak from other addresses.
    SECURITY_ALLOWLIST_IPS: '127.0.0.1,::1',
    ...env,
    DATABASE_URL: database.url,
  });
  const builder = Test.createTestingModule({
    imports: [AppModule],
    controllers: options.controllers,
    providers: options.providers,
  });
  if (options.clock) builder.overrideProvider(Clock).useValue(options.clock);
  const moduleRef = await builder.compile();
  const config = appConfig();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(AppLogger));
  configureApp(app, config);
  try {
    await options.beforeListen?.();
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    // An app that refuses to start (a test may expect that) must not leave its connections or database behind.
    await app.close().catch(() => undefined);
    await database.drop();
    await removeBackupDir();
    throw error;
  }
  return {
    app,
    baseUrl: await app.getUrl(),
    databaseUrl: database.url,
    backupDir,
    close: async () => {
      await app.close();
      await database.drop();
      await removeBackupDir();
    },
  };
}
