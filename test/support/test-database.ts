import { randomBytes } from 'node:crypto';
import { migrateDatabaseAt } from '../../src/database/migration-runner';
import { adminUrl, migratedTemplateName, withAdminClient } from './test-run';

/** An empty database of its own for one test file, so files run in any order and in parallel. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  return createDatabaseFrom(undefined);
}

/**
 * A database of its own with every migration already applied: a copy of this
 * run's template, made once per run (test/support/global-setup.ts names it),
 * so the many apps of a run do not each replay the migrations. Apps that must
 * apply them themselves (the migration tests) start on createTestDatabase().
 */
export async function createMigratedTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  return createDatabaseFrom(await migratedTemplate());
}

async function createDatabaseFrom(template: string | undefined): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sentinel_e2e_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  return {
    url: databaseUrl(name),
    drop: () =>
      withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * This run's template, migrated by whichever test file asks first (under an
 * advisory lock, so parallel workers build it once). It is built under another
 * name and renamed when whole, so a worker that dies mid-build leaves no
 * half-migrated template behind for the others.
 */
async function migratedTemplate(): Promise<string> {
  const template = migratedTemplateName();
  await withAdminClient(async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [template]);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (rowCount) return;
    const building = `sentinel_e2e_building_${randomBytes(6).toString('hex')}`;
    await client.query(`CREATE DATABASE ${building}`);
    try {
      await migrateDatabaseAt(databaseUrl(building));
    } catch (error) {
      await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      throw error;
    }
    await client.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
  });
  return template;
}
