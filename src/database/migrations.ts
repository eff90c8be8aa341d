import { join } from 'node:path';

/** Compiled migrations sit in dist/migrations; under ts-jest the sources in migrations/ load directly. */
export const MIGRATIONS = join(__dirname, '..', '..', 'migrations', '*.{ts,js}');

/** Where applied migrations are recorded (TypeORM's default name is `migrations`). */
export const MIGRATIONS_TABLE = 'schema_migrations';
