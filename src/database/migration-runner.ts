import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MIGRATIONS, MIGRATIONS_TABLE } from './migrations';
import { POOL_WITH_GUARDED_CLIENTS } from './pool-client';

const MIGRATION_LOCK = 'sentinel:migrations';

/**
 * Applies pending migrations while holding a blocking advisory lock, so that
 * instances starting together apply each migration once and the later ones
 * wait, then find nothing left to do.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  const logger = new Logger('Migrations');
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) logger.log(`applied ${migration.name}`);
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/** Applies every migration to the (new, unshared) database at `url` on a connection of its own, and closes it. */
export async function migrateDatabaseAt(url: string): Promise<void> {
  const dataSource = await new DataSource({
    type: 'postgres',
    url,
    migrations: [MIGRATIONS],
    migrationsTableName: MIGRATIONS_TABLE,
    extra: POOL_WITH_GUARDED_CLIENTS,
  }).initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
