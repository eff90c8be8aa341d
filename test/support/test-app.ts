import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { appConfig } from '../../src/config';
import { AppLogger } from '../../src/observability/logging/app-logger.service';
import { createTestDatabase } from './test-database';

export interface TestApp {
  app: NestFastifyApplication;
  /** Base URL of the listening server: tests speak real HTTP to it. */
  baseUrl: string;
  databaseUrl: string;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  /** Extra controllers mounted beside AppModule's, for routes that exist only in a test. */
  controllers?: Type<unknown>[];
  /**
   * Runs on this existing database instead of a fresh one, which the app then
   * does not drop on close: for several apps sharing one database.
   */
  databaseUrl?: string;
}

/**
 * The whole application, as main.ts builds it, on a fresh database of its own,
 * listening on a free loopback port. `env` sets configuration for this app only
 * (Jest gives every test file its own copy of process.env).
 */
export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: () => Promise.resolve() }
    : await createTestDatabase();
  Object.assign(process.env, {
    LOG_LEVEL: 'error',
    NODE_ENV: 'test',
    // Required whenever DATABASE_URL is set; a test may override it through `env`.
    JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef',
    ...env,
    DATABASE_URL: database.url,
  });
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule],
    controllers: options.controllers,
  }).compile();
  const config = appConfig();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(config), {
    bufferLogs: true,
  });
  app.useLogger(app.get(AppLogger));
  await configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  return {
    app,
    baseUrl: await app.getUrl(),
    databaseUrl: database.url,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
