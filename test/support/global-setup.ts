import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresServer } from '../../src/database/embedded/embedded-postgres.server';

declare global {
  var embeddedTestServer: { server: EmbeddedPostgresServer; dataDir: string } | undefined;
}

/**
 * End-to-end tests need a PostgreSQL server: the one TEST_DATABASE_URL names,
 * or else one embedded server started once for the whole run. Each test file
 * then creates its own database on it (test/support/test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  // Names this run's migrated template database (test/support/test-run.ts).
  process.env.TEST_RUN_ID = randomBytes(6).toString('hex');
  if (process.env.TEST_DATABASE_URL) return;
  const dataDir = await mkdtemp(join(tmpdir(), 'sentinel-test-pg-'));
  const server = new EmbeddedPostgresServer({ dataDir, port: 0, log: () => undefined, serverOutput: () => undefined });
  // Workers are forked after global setup and inherit this environment.
  // The superuser: each test file creates a database of its own.
  process.env.TEST_DATABASE_URL = (await server.start()).superuser;
  process.env.TEST_DATABASE_KIND = 'embedded';
  globalThis.embeddedTestServer = { server, dataDir };
}
