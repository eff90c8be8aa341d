import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditTrail } from '../../src/audit/audit-trail.service';
import type { BackupDto } from '../../src/backup/dto/backup.dto';
import { createTestApp, TEST_BACKUP_KEY } from '../support/test-app';
import { waitUntil } from '../support/wait';
import {
  adminContext,
  auditChainValid,
  type BackupContext,
  call,
  DATA_TABLES,
  readWithReadmeScript,
  restore,
  schemaObjects,
  seedData,
  tableChecksums,
  takeBackup,
} from './backup-support';

describe('backup and restore of real data', () => {
  let context: BackupContext;

  beforeAll(async () => {
    context = await adminContext(await createTestApp({ LOG_STORE_ENABLED: 'false' }));
    await seedData(context.sql);
  });
  afterAll(() => context.testApp.close());

  it('restores a full backup to identical table contents, after the tables were changed', async () => {
    const before = await tableChecksums(context.sql, DATA_TABLES);
    const objects = await schemaObjects(context.sql);
    const backup = await takeBackup(context);
    expect(backup).toEqual(
      expect.objectContaining({ type: 'full', compressed: true, encrypted: true, keyId: expect.any(String) }),
    );
    expect(backup.rowCounts?.agent_runs).toBe(2000);
    await context.sql.query(`DELETE FROM agent_runs WHERE success`);
    await context.sql.query(`UPDATE agents SET description = 'changed'`);
    await context.sql.query(`INSERT INTO api_toggles (name) VALUES ('added-after')`);
    expect(await tableChecksums(context.sql, DATA_TABLES)).not.toEqual(before);

    const done = await restore(context, { backupId: backup.id, dryRun: false });
    expect(done).toEqual(expect.objectContaining({ status: 'completed', error: null }));
    expect(await tableChecksums(context.sql, DATA_TABLES)).toEqual(before);
    // Indexes and constraints are dropped for the load and built again after it, every one as it was.
    expect(await schemaObjects(context.sql)).toEqual(objects);
    expect(done.progress).toEqual(expect.objectContaining({ tablesDone: done.progress.tablesTotal }));
    await context.testApp.app.get(AuditTrail).flush();
    expect(await auditChainValid(context)).toEqual(expect.objectContaining({ valid: true }));
  });

  it('restores an incremental chain to the state of its newest backup', async () => {
    const full = await takeBackup(context);
    await context.sql.query(
      `INSERT INTO agent_runs (agent_id, started_at, duration_ms, success) SELECT id, now(), 1, true FROM agents`,
    );
    await context.sql.query(`UPDATE agents SET status = 'paused' WHERE name = 'agent-3'`);
    const incremental = await takeBackup(context, 'incremental');
    expect(incremental).toEqual(expect.objectContaining({ type: 'incremental', parentId: full.id }));
    const atIncremental = await tableChecksums(context.sql, DATA_TABLES);

    await context.sql.query(`TRUNCATE agent_runs`);
    await context.sql.query(`DELETE FROM agents WHERE name = 'agent-4'`);
    const done = await restore(context, { backupId: incremental.id, dryRun: false });
    expect(done.status).toBe('completed');
    expect(await tableChecksums(context.sql, DATA_TABLES)).toEqual(atIncremental);
  });

  it('loads each partition straight into its own, and a default partition’s rows into the partition this database has for them', async () => {
    const since = new Date();
    await context.sql.query(
      `INSERT INTO app_logs (created_at, level, message, module)
       VALUES ('2031-06-15T00:00:00Z', 'info', 'ahead of every partition', 'partition-test'),
              ($1, 'info', 'this month', 'partition-test')`,
      [since],
    );
    const backup = await takeBackup(context);
    // Since the backup, this database has gained a partition for the row the backup holds in the default one.
    await context.sql.query(`DELETE FROM app_logs WHERE module = 'partition-test'`);
    await context.sql.query(
      `CREATE TABLE app_logs_p203106 PARTITION OF app_logs
         FOR VALUES FROM ('2031-06-01 00:00:00+00') TO ('2031-07-01 00:00:00+00')`,
    );

    const done = await restore(context, { backupId: backup.id, dryRun: false, tables: ['app_logs'] });

    expect(done).toEqual(expect.objectContaining({ status: 'completed', error: null }));
    const rows = await context.sql.query<{ partition: string; message: string }[]>(
      `SELECT tableoid::regclass::text AS partition, message FROM app_logs WHERE module = 'partition-test' ORDER BY message`,
    );
    const month = `app_logs_p${since.getUTCFullYear()}${String(since.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(rows).toEqual([
      { partition: 'app_logs_p203106', message: 'ahead of every partition' },
      { partition: month, message: 'this month' },
    ]);
  });

  it('reads the tables on BACKUP_PARALLELISM connections, all in the one snapshot the backup took', async () => {
    const [{ agents }] = await context.sql.query<{ agents: number }[]>('SELECT count(*)::int AS agents FROM agents');
    const [{ toggles }] = await context.sql.query<{ toggles: number }[]>(
      'SELECT count(*)::int AS toggles FROM api_toggles',
    );
    // Holding api_toggles makes the backup wait on it after it has taken its snapshot; what commits then is not in it.
    const blocker = context.sql.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    let id = '';
    try {
      await blocker.query('LOCK TABLE api_toggles IN ACCESS EXCLUSIVE MODE');
      const started = await call<BackupDto>(context, 'POST', '/backups', { type: 'full' });
      expect(started.status).toBe(202);
      id = started.body.id;
      await waitUntil(async () => {
        const [{ waiting }] = await context.sql.query<{ waiting: number }[]>(
          `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS waiting FROM pg_stat_activity
            WHERE application_name = 'sentinel-backup' AND datname = current_database()`,
        );
        return waiting === 1;
      }, 60_000);
      const [{ streams }] = await context.sql.query<{ streams: number }[]>(
        `SELECT count(*)::int AS streams FROM pg_stat_activity
          WHERE application_name = 'sentinel-backup' AND datname = current_database()`,
      );
      expect(streams).toBe(2);
      await blocker.query(`INSERT INTO api_toggles (name) VALUES ('committed-during-backup')`);
      await blocker.query(`INSERT INTO agents (name) VALUES ('committed-during-backup')`);
      await blocker.commitTransaction();
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
    }
    await waitUntil(
      async () => (await call<BackupDto>(context, 'GET', `/backups/${id}`)).body.status !== 'running',
      60_000,
    );
    const done = await call<BackupDto>(context, 'GET', `/backups/${id}`);
    expect(done.body.status).toBe('completed');
    expect(done.body.rowCounts).toEqual(expect.objectContaining({ agents, api_toggles: toggles }));
    await context.sql.query(`DELETE FROM api_toggles WHERE name = 'committed-during-backup'`);
    await context.sql.query(`DELETE FROM agents WHERE name = 'committed-during-backup'`);
  });

  it('reports rows before and after in a dry run and changes nothing', async () => {
    const backup = await takeBackup(context);
    await context.sql.query(`DELETE FROM code_proposals WHERE title IN ('p1', 'p2', 'p3')`);
    const before = await tableChecksums(context.sql, DATA_TABLES);
    const done = await restore(context, { backupId: backup.id, dryRun: true });
    expect(done.status).toBe('completed');
    expect(done.report).toEqual(
      expect.arrayContaining([{ table: 'code_proposals', mode: 'replace', rowsBefore: 27, rowsAfter: 30 }]),
    );
    expect(await tableChecksums(context.sql, DATA_TABLES)).toEqual(before);
  });

  it('verifies a backup, passes a restore drill, and fails verification after one flipped byte', async () => {
    const backup = await takeBackup(context);
    const verified = await call<BackupDto>(context, 'POST', `/backups/${backup.id}/verify`, { restoreTest: true });
    expect(verified.status).toBe(200);
    expect(verified.body.verification).toEqual(
      expect.objectContaining({
        ok: true,
        checksum: true,
        decrypted: true,
        rowCounts: true,
        restoreTest: { ok: true, tables: expect.any(Number), mismatched: [] },
      }),
    );
    const file = await readFile(backup.location);
    file[Math.floor(file.length / 2)] ^= 0x01;
    await writeFile(backup.location, file);
    const failed = await call<BackupDto>(context, 'POST', `/backups/${backup.id}/verify`, {});
    expect(failed.body.verification).toEqual(expect.objectContaining({ ok: false, checksum: false }));
  });

  it('can be read by the README’s script with Node.js alone', async () => {
    const backup = await takeBackup(context);
    await readWithReadmeScript(backup.location, TEST_BACKUP_KEY, async (out) => {
      const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
        backupId: string;
        tables: { name: string; rows: number; segments: { rows: number; partition?: string }[] }[];
      };
      expect(manifest.backupId).toBe(backup.id);
      // A partitioned table's rows are in one file per partition, and add up to the table's.
      const trail = manifest.tables.find((table) => table.name === 'audit_logs');
      expect(trail?.segments.length).toBeGreaterThan(1);
      let trailRows = 0;
      for (const segment of trail?.segments ?? []) {
        const lines = (await readFile(join(out, `${segment.partition}.copy`), 'utf8')).split('\n').filter(Boolean);
        expect(lines).toHaveLength(segment.rows);
        trailRows += lines.length;
      }
      expect(trailRows).toBe(trail?.rows);
      expect(trailRows).toBeGreaterThan(0);
      const runs = (await readFile(join(out, 'agent_runs.copy'), 'utf8')).split('\n').filter(Boolean);
      const [{ count }] = await context.sql.query<{ count: string }[]>('SELECT count(*) AS count FROM agent_runs');
      expect(runs).toHaveLength(Number(count));
      const [agent] = await context.sql.query<{ name: string }[]>("SELECT name FROM agents WHERE name = 'agent-7'");
      expect(await readFile(join(out, 'agents.copy'), 'utf8')).toContain(agent.name);
    });
  });
});
