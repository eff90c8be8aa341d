import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { AuditTrail } from '../../src/audit/audit-trail.service';
import type { RestoreDto } from '../../src/backup/dto/restore.dto';
import { createTestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';
import {
  adminContext,
  auditChainValid,
  type BackupContext,
  call,
  DATA_TABLES,
  holdRestoresAtSequenceReset,
  restore,
  schemaObjects,
  seedData,
  tableChecksums,
  takeBackup,
} from './backup-support';

describe('a restore that fails leaves the database as it was', () => {
  let context: BackupContext;

  beforeAll(async () => {
    context = await adminContext(await createTestApp({ LOG_STORE_ENABLED: 'false', METRICS_ENABLED: 'false' }));
    await seedData(context.sql, 300_000);
  });
  afterAll(() => context.testApp.close());

  async function changeEverything(): Promise<Record<string, string>> {
    await context.sql.query(`DELETE FROM agent_runs WHERE findings = 3`);
    await context.sql.query(`UPDATE api_toggles SET enabled = NOT enabled`);
    await context.sql.query(`UPDATE code_proposals SET status = 'rejected' WHERE title = 'p7'`);
    return tableChecksums(context.sql, DATA_TABLES);
  }

  it('rolls back every table when a chunk halfway through the file is damaged', async () => {
    const backup = await takeBackup(context);
    const changed = await changeEverything();
    const file = await readFile(backup.location);
    file[Math.floor(file.length * 0.6)] ^= 0x40;
    await writeFile(backup.location, file);
    const done = await restore(context, { backupId: backup.id, dryRun: false });
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/failed authentication|does not match|damaged/);
    expect(await tableChecksums(context.sql, DATA_TABLES)).toEqual(changed);
  });

  it('rolls back every table when cancelled after loading them, just before the commit', async () => {
    const backup = await takeBackup(context);
    const changed = await changeEverything();
    const hold = await holdRestoresAtSequenceReset(context.testApp.databaseUrl);
    try {
      // Not the users or sessions: a restore of those holds them, and no request could authenticate meanwhile.
      // The agents' key to the users is checked in place, so the users stay readable: the calls below get through.
      const started = await call<RestoreDto>(context, 'POST', '/restores', {
        backupId: backup.id,
        dryRun: false,
        tables: ['agents', 'agent_runs', 'code_proposals', 'api_toggles', 'audit_logs'],
      });
      expect(started.status).toBe(202);
      await hold.reached();
      const cancelled = await call<RestoreDto>(context, 'POST', `/restores/${started.body.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.cancelRequested).toBe(true);
      // It ends while still held: the cancel interrupts the restore's wait instead of waiting for it.
      let final = cancelled.body;
      await waitUntil(async () => {
        final = (await call<RestoreDto>(context, 'GET', `/restores/${started.body.id}`)).body;
        return final.status !== 'running';
      });
      expect(final.status).toBe('cancelled');
      expect(await tableChecksums(context.sql, DATA_TABLES)).toEqual(changed);
      const again = await call(context, 'POST', `/restores/${started.body.id}/cancel`);
      expect(again.status).toBe(409);
    } finally {
      await hold.release();
    }
  });

  it('never acknowledges a cancel and then commits: a restore quicker than the cancel refuses it', async () => {
    const backup = await takeBackup(context);
    const changed = await changeEverything();
    // One small table: the restore can reach its commit before the cancel is polled for.
    const started = await call<RestoreDto>(context, 'POST', '/restores', {
      backupId: backup.id,
      dryRun: false,
      tables: ['api_toggles'],
    });
    expect(started.status).toBe(202);
    const cancelled = await call<RestoreDto>(context, 'POST', `/restores/${started.body.id}/cancel`);
    let final = (await call<RestoreDto>(context, 'GET', `/restores/${started.body.id}`)).body;
    while (final.status === 'running') {
      await delay(50);
      final = (await call<RestoreDto>(context, 'GET', `/restores/${started.body.id}`)).body;
    }
    const toggles = (await tableChecksums(context.sql, ['api_toggles'])).api_toggles;
    if (cancelled.status === 200) {
      expect(final.status).toBe('cancelled');
      expect(toggles).toBe(changed.api_toggles);
    } else {
      expect(cancelled.status).toBe(409);
      expect(final.status).toBe('completed');
      expect(toggles).not.toBe(changed.api_toggles);
    }
  });

  it('rolls back when a foreign key would break, and names the constraint', async () => {
    const backup = await takeBackup(context);
    const [agent] = await context.sql.query<{ id: string }[]>(
      `INSERT INTO agents (name) VALUES ('born-later') RETURNING id`,
    );
    await context.sql.query(
      `INSERT INTO agent_runs (agent_id, started_at, duration_ms, success) VALUES ($1, now(), 5, true)`,
      [agent.id],
    );
    const changed = await tableChecksums(context.sql, DATA_TABLES);
    const objects = await schemaObjects(context.sql);
    const done = await restore(context, { backupId: backup.id, dryRun: false, tables: ['agents'] });
    expect(done.status).toBe('failed');
    expect(done.error).toContain('agent_runs_agent_id_fkey');
    expect(await tableChecksums(context.sql, DATA_TABLES)).toEqual(changed);
    expect(await schemaObjects(context.sql)).toEqual(objects);
  });

  it('restores only the named tables', async () => {
    const backup = await takeBackup(context);
    const atBackup = await tableChecksums(context.sql, DATA_TABLES);
    const changed = await changeEverything();
    const done = await restore(context, {
      backupId: backup.id,
      dryRun: false,
      tables: ['api_toggles', 'code_proposals'],
    });
    expect(done.status).toBe('completed');
    expect(done.report?.map((table) => table.table).sort()).toEqual(['api_toggles', 'code_proposals']);
    const now = await tableChecksums(context.sql, DATA_TABLES);
    expect(now.api_toggles).toBe(atBackup.api_toggles);
    expect(now.code_proposals).toBe(atBackup.code_proposals);
    expect(now.agent_runs).toBe(changed.agent_runs);
    expect(now.agents).toBe(changed.agents);
  });

  it('keeps the audit trail written after the backup, records the restore, and the chain verifies', async () => {
    const backup = await takeBackup(context);
    await call(context, 'GET', '/backups?limit=1');
    await context.testApp.app.get(AuditTrail).flush();
    const [{ newest }] = await context.sql.query<{ newest: string }[]>(
      'SELECT max(id)::text AS newest FROM audit_logs',
    );
    const done = await restore(context, { backupId: backup.id, dryRun: false });
    expect(done.status).toBe('completed');
    expect(done.report).toEqual(
      expect.arrayContaining([expect.objectContaining({ table: 'audit_logs', mode: 'merge' })]),
    );
    await context.testApp.app.get(AuditTrail).flush();
    const [kept] = await context.sql.query<{ found: boolean }[]>(
      'SELECT count(*) > 0 AS found FROM audit_logs WHERE id = $1',
      [newest],
    );
    expect(kept.found).toBe(true);
    // The restore's record commits with its data; its event (and the audit row the event makes) follows the commit.
    await waitUntil(async () => {
      await context.testApp.app.get(AuditTrail).flush();
      const recorded = await context.sql.query<{ resource_id: string }[]>(
        "SELECT resource_id FROM audit_logs WHERE action_type = 'restore.completed'",
      );
      return recorded.some((row) => row.resource_id === done.id);
    }, 10_000);
    expect(await auditChainValid(context)).toEqual(expect.objectContaining({ valid: true }));
  });

  it('refuses a backup taken at a newer schema than the database has, with a clear error', async () => {
    const backup = await takeBackup(context);
    const [last] = await context.sql.query<{ id: number; timestamp: string; name: string }[]>(
      'SELECT id, timestamp, name FROM schema_migrations ORDER BY timestamp DESC LIMIT 1',
    );
    await context.sql.query('DELETE FROM schema_migrations WHERE id = $1', [last.id]);
    try {
      const refused = await call<{ message: string }>(context, 'POST', '/restores', {
        backupId: backup.id,
        dryRun: true,
      });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain(last.name);
    } finally {
      await context.sql.query('INSERT INTO schema_migrations (id, timestamp, name) VALUES ($1, $2, $3)', [
        last.id,
        last.timestamp,
        last.name,
      ]);
    }
  });
});

describe('point in time', () => {
  let context: BackupContext;

  beforeAll(async () => {
    context = await adminContext(await createTestApp({ LOG_STORE_ENABLED: 'false', METRICS_ENABLED: 'false' }));
    await seedData(context.sql);
  });
  afterAll(() => context.testApp.close());

  const insertMetric = (route: string, minutes: number) =>
    context.sql.query(
      `INSERT INTO http_request_metrics (recorded_at, method, route, status_code, duration_ms, weight)
       VALUES (now() + ($1 || ' minutes')::interval, 'GET', $2, 200, 1, 1)`,
      [String(minutes), route],
    );

  it('keeps exactly the append-only rows created up to T, and refuses a T before the chain', async () => {
    await insertMetric('/a', -10);
    const full = await takeBackup(context);
    await insertMetric('/b', 1);
    await insertMetric('/c', 2);
    await insertMetric('/d', 3);
    const incremental = await takeBackup(context, 'incremental');
    const [{ at }] = await context.sql.query<{ at: Date }[]>(`SELECT now() + interval '150 seconds' AS at`);
    await context.sql.query('TRUNCATE http_request_metrics');

    const done = await restore(context, {
      backupId: incremental.id,
      dryRun: false,
      pointInTime: at.toISOString(),
      tables: ['http_request_metrics'],
    });
    expect(done.status).toBe('completed');
    const routes = await context.sql.query<{ route: string }[]>(
      'SELECT route FROM http_request_metrics ORDER BY route',
    );
    expect(routes.map((row) => row.route)).toEqual(['/a', '/b', '/c']);

    const early = new Date(new Date(full.snapshotAt ?? '').getTime() - 3_600_000).toISOString();
    const refused = await call(context, 'POST', '/restores', {
      backupId: incremental.id,
      dryRun: true,
      pointInTime: early,
    });
    expect(refused.status).toBe(400);
  });
});
