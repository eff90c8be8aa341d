import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AdvisoryLockService } from '../src/database/advisory-lock.service';
import { PartitionMaintenanceService } from '../src/database/partition-maintenance.service';
import { createTestApp, type TestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';

/** A promise and the function that resolves it, to hold work open until the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Polls `condition` until it holds; fails with `what` once the deadline passes. */
async function eventually(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(50);
  }
}

const utc = (year: number, month: number, day = 1): Date => new Date(Date.UTC(year, month, day));

describe('database', () => {
  let testApp: TestApp;
  let dataSource: DataSource;
  let emptyDatabase: { url: string; drop: () => Promise<void> };

  // An empty database, not the run's migrated template: this app applies every migration itself at boot.
  beforeAll(async () => {
    emptyDatabase = await createTestDatabase();
    testApp = await createTestApp({}, { databaseUrl: emptyDatabase.url });
    dataSource = testApp.app.get(DataSource);
  });
  afterAll(async () => {
    await testApp.close();
    await emptyDatabase.drop();
  });

  describe('withAdvisoryLock', () => {
    let locks: AdvisoryLockService;

    beforeAll(() => {
      locks = testApp.app.get(AdvisoryLockService);
    });

    /** Whether another session could take the lock right now (advisory locks are re-entrant per session). */
    function isFree(name: string): Promise<boolean> {
      return withClient(testApp.databaseUrl, async (client) => {
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
          [name],
        );
        if (rows[0].locked) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]);
        return rows[0].locked;
      });
    }

    it('lets one caller in at a time, skipping the others, and returns the result', async () => {
      const entered = gate();
      const release = gate();
      const first = locks.withAdvisoryLock('test:exclusive', async () => {
        entered.open();
        await release.promise;
        return 42;
      });
      await entered.promise;

      const skipped = jest.fn(() => Promise.resolve('should not run'));
      await expect(locks.withAdvisoryLock('test:exclusive', skipped)).resolves.toEqual({ acquired: false });
      expect(skipped).not.toHaveBeenCalled();
      expect(await isFree('test:exclusive')).toBe(false);
      // Another name is another lock.
      await expect(locks.withAdvisoryLock('test:other', () => Promise.resolve('other'))).resolves.toEqual({
        acquired: true,
        result: 'other',
      });

      release.open();
      await expect(first).resolves.toEqual({ acquired: true, result: 42 });
      expect(await isFree('test:exclusive')).toBe(true);
      await expect(locks.withAdvisoryLock('test:exclusive', () => Promise.resolve('third'))).resolves.toEqual({
        acquired: true,
        result: 'third',
      });
    });

    it('releases the lock when the work throws, and passes the error on', async () => {
      await expect(
        locks.withAdvisoryLock('test:failing', () => Promise.reject(new Error('job failed'))),
      ).rejects.toThrow('job failed');

      expect(await isFree('test:failing')).toBe(true);
      await expect(locks.withAdvisoryLock('test:failing', () => Promise.resolve('again'))).resolves.toEqual({
        acquired: true,
        result: 'again',
      });
    });
  });

  describe('PartitionMaintenanceService', () => {
    const table = 'partition_test';
    const now = new Date(Date.UTC(2025, 5, 15, 12)); // 2025-06-15T12:00Z
    let partitions: PartitionMaintenanceService;

    async function childPartitions(): Promise<string[]> {
      const rows = await dataSource.query<{ name: string }[]>(
        `SELECT child.relname AS name
           FROM pg_inherits
           JOIN pg_class child ON child.oid = pg_inherits.inhrelid
          WHERE pg_inherits.inhparent = to_regclass($1)
          ORDER BY child.relname`,
        [table],
      );
      return rows.map((row) => row.name);
    }

    /** Inserts a row dated `at` and returns the partition PostgreSQL routed it to. */
    async function insertAt(at: Date): Promise<string> {
      const [row] = await dataSource.query<{ partition: string }[]>(
        `INSERT INTO ${table} (created_at) VALUES ($1) RETURNING tableoid::regclass::text AS partition`,
        [at.toISOString()],
      );
      return row.partition;
    }

    async function rowCount(partition: string): Promise<number> {
      const [row] = await dataSource.query<{ count: number }[]>(`SELECT count(*)::int AS count FROM ${partition}`);
      return row.count;
    }

    beforeAll(async () => {
      partitions = testApp.app.get(PartitionMaintenanceService);
      await dataSource.query(
        `CREATE TABLE ${table} (
           id bigserial,
           created_at timestamptz NOT NULL,
           PRIMARY KEY (id, created_at)
         ) PARTITION BY RANGE (created_at)`,
      );
    });

    it('creates the current and next month, once', async () => {
      await expect(partitions.ensureMonthlyPartitions(table, now, 1)).resolves.toEqual([
        'partition_test_p202506',
        'partition_test_p202507',
      ]);
      expect(await childPartitions()).toEqual(['partition_test_p202506', 'partition_test_p202507']);

      await expect(partitions.ensureMonthlyPartitions(table, now, 1)).resolves.toEqual([]);
      expect(await childPartitions()).toEqual(['partition_test_p202506', 'partition_test_p202507']);
    });

    it('routes rows to the partition of their UTC month', async () => {
      expect(await insertAt(now)).toBe('partition_test_p202506');
      expect(await insertAt(new Date(Date.UTC(2025, 5, 30, 23, 59, 59, 999)))).toBe('partition_test_p202506');
      expect(await insertAt(utc(2025, 6, 1))).toBe('partition_test_p202507');
      expect(await insertAt(utc(2025, 6, 20))).toBe('partition_test_p202507');
      // No partition exists beyond the months asked for.
      await expect(insertAt(utc(2025, 7, 1))).rejects.toThrow(/no partition/);
    });

    it('drops only the partitions wholly older than the retention', async () => {
      // April, May and June 2024: fourteen months before `now`, and the two after.
      await expect(partitions.ensureMonthlyPartitions(table, utc(2024, 3, 15), 2)).resolves.toEqual([
        'partition_test_p202404',
        'partition_test_p202405',
        'partition_test_p202406',
      ]);
      await dataSource.query(
        `CREATE TABLE partition_test_archive PARTITION OF ${table}
           FOR VALUES FROM ('2020-01-01T00:00:00Z') TO ('2020-02-01T00:00:00Z')`,
      );
      for (const at of [utc(2024, 3, 10), utc(2024, 4, 10), utc(2024, 5, 20), utc(2020, 0, 5)]) await insertAt(at);

      // 365 days before 2025-06-15T12:00Z is 2024-06-15T12:00Z: June 2024 still holds rows to keep.
      const dropped = await partitions.dropExpiredPartitions(table, now, 365);

      expect([...dropped].sort()).toEqual(['partition_test_p202404', 'partition_test_p202405']);
      expect(await childPartitions()).toEqual([
        'partition_test_archive',
        'partition_test_p202406',
        'partition_test_p202506',
        'partition_test_p202507',
      ]);
      expect(await rowCount('partition_test_p202406')).toBe(1);
      expect(await rowCount('partition_test_p202506')).toBe(2);
      expect(await rowCount('partition_test_p202507')).toBe(2);
      expect(await rowCount('partition_test_archive')).toBe(1);
      await expect(partitions.dropExpiredPartitions(table, now, 365)).resolves.toEqual([]);
    });
  });

  describe('migrations', () => {
    const MIGRATION_LOCK = 'sentinel:migrations';
    const migrationFiles = (): string[] => {
      try {
        return readdirSync(join(__dirname, '..', 'migrations')).filter((file) => /^\d+-\w+\.ts$/.test(file));
      } catch {
        return [];
      }
    };

    async function appliedMigrations(url: string): Promise<string[]> {
      return withClient(url, async (client) => {
        const { rows } = await client.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
        return rows.map((row) => row.name);
      });
    }

    it('records applied migrations in schema_migrations at boot', async () => {
      const [table] = await dataSource.query<{ oid: string | null }[]>(
        "SELECT to_regclass('schema_migrations')::text AS oid",
      );
      expect(table.oid).toBe('schema_migrations');
      expect(await appliedMigrations(testApp.databaseUrl)).toHaveLength(migrationFiles().length);
    });

    it('applies each migration once when two instances start together on one database', async () => {
      const database = await createTestDatabase();
      const apps: TestApp[] = [];
      try {
        const started = await Promise.allSettled([
          createTestApp({}, { databaseUrl: database.url }),
          createTestApp({}, { databaseUrl: database.url }),
        ]);
        for (const result of started) if (result.status === 'fulfilled') apps.push(result.value);
        expect(started.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);

        const applied = await appliedMigrations(database.url);
        expect(applied).toHaveLength(migrationFiles().length);
        expect(new Set(applied).size).toBe(applied.length);
      } finally {
        await Promise.all(apps.map((app) => app.close()));
        await database.drop();
      }
    });

    it('waits at boot while another instance holds the migration lock', async () => {
      const database = await createTestDatabase();
      const holder = new Client({ connectionString: database.url });
      await holder.connect();
      let app: TestApp | undefined;
      try {
        await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
        let settled = false;
        const starting = createTestApp({}, { databaseUrl: database.url }).finally(() => {
          settled = true;
        });
        // Keep a rejection from going unhandled while the lock is still held.
        starting.catch(() => undefined);

        await eventually('the booting app waits for the migration lock', async () => {
          const { rows } = await holder.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_locks
              WHERE locktype = 'advisory' AND NOT granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          );
          return rows[0].waiting > 0;
        });
        expect(settled).toBe(false);
        const { rows } = await holder.query<{ oid: string | null }>("SELECT to_regclass('schema_migrations') AS oid");
        expect(rows[0].oid).toBeNull();

        await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
        app = await starting;
        expect(await appliedMigrations(database.url)).toHaveLength(migrationFiles().length);
      } finally {
        await holder.end();
        await app?.close();
        await database.drop();
      }
    });
  });
});
