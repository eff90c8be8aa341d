import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { BackupDto } from '../../src/backup/dto/backup.dto';
import type { RestoreDto } from '../../src/backup/dto/restore.dto';
import { Role } from '../../src/rbac/role';
import { type HttpResult, request } from '../support/http';
import type { TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';
import { waitUntil } from '../support/wait';

export const API = '/api/v1';

/** Tables the tests fill and compare; none of them is written by the app on its own while a test runs. */
export const DATA_TABLES = ['users', 'agents', 'agent_runs', 'code_proposals', 'api_toggles', 'permission_grants'];

/**
 * An order-independent checksum of each table, computed by PostgreSQL: the
 * row count and the sum of a 64-bit hash of every row's text.
 */
export async function tableChecksums(sql: DataSource, tables: readonly string[]): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (const table of tables) {
    const [row] = await sql.query<{ checksum: string }[]>(
      `SELECT count(*)::text || ':' || coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text AS checksum
         FROM "${table}" t`,
    );
    sums[table] = row.checksum;
  }
  return sums;
}

/** Every index and constraint of the schema, as PostgreSQL would create them again. */
export async function schemaObjects(sql: DataSource): Promise<string[]> {
  const rows = await sql.query<{ definition: string }[]>(
    `SELECT c.relname || ': ' || pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      WHERE c.relnamespace = current_schema()::regnamespace
     UNION ALL
     SELECT c.relname || ': ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
      WHERE c.relnamespace = current_schema()::regnamespace
     ORDER BY 1`,
  );
  return rows.map((row) => row.definition);
}

/** Rows of every kind the platform holds: accounts, agents and many runs, proposals, toggles, grants. */
export async function seedData(sql: DataSource, runs = 2000): Promise<void> {
  await sql.query(
    `INSERT INTO agents (name, description, config)
     SELECT 'agent-' || i, 'watches market ' || i || E' with a\\ttab and a\\nnewline', jsonb_build_object('i', i, 'tags', jsonb_build_array('a', 'b'))
       FROM generate_series(1, 20) AS i`,
  );
  await sql.query(
    `INSERT INTO agent_runs (agent_id, started_at, duration_ms, findings, success, error)
     SELECT a.id, now() - (i || ' seconds')::interval, i % 5000, i % 7, i % 10 <> 0, CASE WHEN i % 10 = 0 THEN 'timeout ' || i END
       FROM generate_series(1, $1) AS i JOIN LATERAL (SELECT id FROM agents ORDER BY name OFFSET (i % 20) LIMIT 1) a ON true`,
    [runs],
  );
  await sql.query(
    `INSERT INTO code_proposals (title, diff, status) SELECT 'p' || i, '--- a\n+++ b\n' || repeat('x', i), 'pending' FROM generate_series(1, 30) AS i`,
  );
  await sql.query(
    `INSERT INTO api_toggles (name, enabled, cost_per_call) SELECT 'api-' || i, i % 2 = 0, i * 0.000123 FROM generate_series(1, 10) AS i`,
  );
  await sql.query(
    `INSERT INTO permission_grants (user_id, permission) SELECT id, 'agents:read' FROM users ORDER BY username LIMIT 1`,
  );
}

export interface BackupContext {
  testApp: TestApp;
  token: string;
  sql: DataSource;
}

export async function adminContext(testApp: TestApp): Promise<BackupContext> {
  const admin = await createUser(testApp.app, { role: Role.Admin });
  return { testApp, token: await tokenFor(testApp.baseUrl, admin), sql: testApp.app.get(DataSource) };
}

export function call<T>(context: BackupContext, method: string, path: string, json?: unknown): Promise<HttpResult<T>> {
  return request<T>(context.testApp.baseUrl, `${API}${path}`, { method, token: context.token, json });
}

/** Polls until `done` holds for the resource, failing after the deadline. */
async function pollUntil<T extends { status: string }>(context: BackupContext, path: string): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const result = await call<T>(context, 'GET', path);
    if (result.status !== 200) throw new Error(`GET ${path}: ${result.status} ${JSON.stringify(result.body)}`);
    if (result.body.status !== 'running') return result.body;
    if (Date.now() > deadline) throw new Error(`${path} still running`);
    await delay(50);
  }
}

/** Takes a backup through the API and waits for it to finish; fails the test unless it completed. */
export async function takeBackup(context: BackupContext, type: 'full' | 'incremental' = 'full'): Promise<BackupDto> {
  const started = await call<BackupDto>(context, 'POST', '/backups', { type });
  if (started.status !== 202) throw new Error(`POST /backups: ${started.status} ${JSON.stringify(started.body)}`);
  const done = await pollUntil<BackupDto>(context, `/backups/${started.body.id}`);
  if (done.status !== 'completed') throw new Error(`backup ${done.id} ${done.status}: ${done.error ?? ''}`);
  return done;
}

/** Starts a restore through the API and waits for it to end, whatever its outcome. */
export async function restore(context: BackupContext, body: Record<string, unknown>): Promise<RestoreDto> {
  const started = await call<RestoreDto>(context, 'POST', '/restores', body);
  if (started.status !== 202) throw new Error(`POST /restores: ${started.status} ${JSON.stringify(started.body)}`);
  return pollUntil<RestoreDto>(context, `/restores/${started.body.id}`);
}

export async function auditChainValid(context: BackupContext): Promise<{ valid: boolean; checked: number }> {
  const result = await call<{ valid: boolean; checked: number }>(context, 'GET', '/audit-logs/verify');
  return result.body;
}

export function appOf(context: BackupContext): NestFastifyApplication {
  return context.testApp.app;
}

/**
 * Runs the README's Node-only reader on the backup file at `location`, with the
 * base64 key, and hands `inspect` the directory it wrote (removed afterwards).
 */
export async function readWithReadmeScript(
  location: string,
  keyBase64: string,
  inspect: (out: string) => Promise<void>,
): Promise<void> {
  const readme = await readFile(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const script = /<!-- read-backup\.mjs -->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!script) throw new Error('the README has no read-backup.mjs script');
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-read-backup-'));
  try {
    await writeFile(join(dir, 'read-backup.mjs'), script);
    await writeFile(join(dir, 'key'), `${keyBase64}\n`);
    const args = [join(dir, 'read-backup.mjs'), location, join(dir, 'key'), join(dir, 'out')];
    await promisify(execFile)(process.execPath, args);
    await inspect(join(dir, 'out'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A plain connection to `url`, for driving the backup engine directly. */
export async function connectTo(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** `fn` with a DataSource on `url`, destroyed afterwards. */
export async function withDataSource<T>(url: string, fn: (sql: DataSource) => Promise<T>): Promise<T> {
  const sql = await new DataSource({ type: 'postgres', url }).initialize();
  try {
    return await fn(sql);
  } finally {
    await sql.destroy();
  }
}

/**
 * Holds every restore that resets the audit trail's id sequence at that step:
 * after it has truncated and loaded its tables, rebuilt their indexes and
 * checked their foreign keys, before it commits. ALTER SEQUENCE takes a lock
 * that the restore's setval waits for, and so does the audit chainer's
 * nextval: release it before anything waits for the chain (a command line
 * exiting drains it). `release` rolls it back, once.
 */
export async function holdRestoresAtSequenceReset(
  url: string,
): Promise<{ reached: () => Promise<void>; release: () => Promise<void> }> {
  const holder = await connectTo(url);
  await holder.query('BEGIN');
  await holder.query('ALTER SEQUENCE audit_logs_id_seq NO CYCLE');
  let released = false;
  return {
    reached: () =>
      waitUntil(async () => {
        const { rows } = await holder.query<{ waiting: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'audit_logs_id_seq'::regclass) AS waiting`,
        );
        return rows[0].waiting;
      }, 60_000),
    release: async () => {
      if (released) return;
      released = true;
      await holder.query('ROLLBACK');
      await holder.end();
    },
  };
}
