import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { createTestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait';
import { TEST_BACKUP_KEY, TEST_MASTER_KEYS, createTestApp } from '../support/test-app';
import {
  adminContext,
  auditChainValid,
  connectTo,
  DATA_TABLES,
  holdRestoresAtSequenceReset,
  seedData,
  tableChecksums,
  withDataSource,
} from './backup-support';
import { DataSource } from 'typeorm';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cliEnv(databaseUrl: string, backupDir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: databaseUrl,
    BACKUP_DIR: backupDir,
    BACKUP_ENCRYPTION_KEY: TEST_BACKUP_KEY,
    SECRETS_MASTER_KEYS: TEST_MASTER_KEYS,
    JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef',
    API_KEY_PEPPER: 'test-only-api-key-pepper-0123456789abcdef',
    AUDIT_CHAIN_KEY: 'test-only-audit-chain-key-0123456789abcdef',
    LOGS_FILE: '',
  };
}

function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, result };
}

const cli = (args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> => startCli(args, env).result;

describe('the command line, with the server stopped', () => {
  let backupDir: string;
  let database: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first (npm test does)`);
    backupDir = await mkdtemp(join(tmpdir(), 'sentinel-cli-backups-'));
    database = await createTestDatabase();
    // The app once, to migrate and seed the database; it is closed before any command runs.
    const testApp = await createTestApp(
      { LOG_STORE_ENABLED: 'false', BACKUP_DIR: backupDir },
      { databaseUrl: database.url },
    );
    await adminContext(testApp);
    await seedData(testApp.app.get(DataSource), 50_000);
    await testApp.close();
  });
  afterAll(async () => {
    await database.drop();
    await rm(backupDir, { recursive: true, force: true });
  });

  it('backs up, lists, verifies and restores, printing plain progress lines off a terminal', async () => {
    const env = cliEnv(database.url, backupDir);
    const before = await withDataSource(database.url, (sql) => tableChecksums(sql, DATA_TABLES));
    const created = await cli(['backup', 'create', '--description', 'from the cli'], env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^100% /m);
    const id = /^([0-9a-f-]{36})\s+full\s+completed/m.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    const listed = await cli(['backup', 'list'], env);
    expect(listed.stdout).toContain(id);
    expect((await cli(['backup', 'verify', id!, '--restore-test'], env)).stdout).toMatch(/ verified$/m);

    await withDataSource(database.url, (sql) => sql.query('DELETE FROM agent_runs WHERE findings < 4'));
    const dry = await cli(['restore', id!, '--dry-run', '--tables', 'agent_runs'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/agent_runs\s+replace\s+\d+ -> 50000 rows/);
    expect(dry.stdout).toContain('dry run completed, rolled back');
    expect((await withDataSource(database.url, (sql) => tableChecksums(sql, DATA_TABLES))).agent_runs).not.toBe(
      before.agent_runs,
    );

    const restored = await cli(['restore', id!], env);
    expect(restored.code).toBe(0);
    expect(await withDataSource(database.url, (sql) => tableChecksums(sql, DATA_TABLES))).toEqual(before);
  });

  it('cancels a restore of the users from another command line, and the restore rolls back', async () => {
    const env = cliEnv(database.url, backupDir);
    const created = await cli(['backup', 'create'], env);
    const backupId = /^([0-9a-f-]{36})\s+full\s+completed/m.exec(created.stdout)?.[1];
    expect(backupId).toBeDefined();
    const changed = await withDataSource(database.url, async (sql) => {
      await sql.query(`UPDATE users SET is_active = NOT is_active`);
      await sql.query(`DELETE FROM agent_runs WHERE findings = 2`);
      return tableChecksums(sql, DATA_TABLES);
    });
    const hold = await holdRestoresAtSequenceReset(database.url);
    const watcher = await connectTo(database.url);
    try {
      const running = startCli(['restore', backupId!], env);
      await hold.reached();
      const newestRestore = async () =>
        (
          await watcher.query<{ id: string; status: string }>(
            `SELECT id, status FROM restores ORDER BY started_at DESC LIMIT 1`,
          )
        ).rows[0];
      const restore = await newestRestore();
      expect(restore.status).toBe('running');
      const cancelling = startCli(['restore', 'cancel', restore.id], env);
      // Rolled back while still held; the hold then goes, so both commands can drain their audit rows and exit.
      await waitUntil(async () => (await newestRestore()).status !== 'running', 30_000);
      await hold.release();
      const cancelled = await cancelling.result;
      expect(cancelled.stderr).toBe('');
      expect(cancelled.code).toBe(0);
      expect(cancelled.stdout).toContain(`restore ${restore.id}: cancel requested`);
      const outcome = await running.result;
      expect(outcome.code).toBe(1);
      expect(outcome.stdout).toContain(`restore ${restore.id} of backup ${backupId}: cancelled`);
    } finally {
      await hold.release();
      await watcher.end();
    }
    await withDataSource(database.url, async (sql) => {
      expect(await tableChecksums(sql, DATA_TABLES)).toEqual(changed);
      const [audited] = await sql.query<{ count: string }[]>(
        `SELECT count(*) AS count FROM (SELECT action_type FROM audit_logs UNION ALL SELECT action_type FROM audit_outbox) a
          WHERE action_type = 'restore.cancel_requested'`,
      );
      expect(Number(audited.count)).toBe(1);
    });
  });

  it('answers a usage error with exit code 2 and the usage', async () => {
    const result = await cli(['restore', '--tables', 'users'], cliEnv(database.url, backupDir));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('restore <id>');
  });

  it('leaves no completed record and no partial file after a backup is killed mid-way, once restarted', async () => {
    const env = cliEnv(database.url, backupDir);
    const { child, result } = startCli(['backup', 'create'], env);
    const deadline = Date.now() + 60_000;
    let partial: string | undefined;
    // Killed once the file has begun and the parallel streams have begun spooling tables.
    const spools = async (backupId: string) =>
      (await readdir(tmpdir())).filter((name) => name.startsWith(`sentinel-backup-${backupId}-`));
    while (!partial) {
      const files = await readdir(backupDir);
      const candidate = files.find((name) => name.endsWith('.partial'));
      if (
        candidate &&
        (await stat(join(backupDir, candidate))).size > 0 &&
        (await spools(candidate.replace('.backup.partial', ''))).length > 0
      ) {
        partial = candidate;
      }
      if (Date.now() > deadline) throw new Error('the backup never began writing');
      await delay(5);
    }
    child.kill('SIGKILL');
    await result;
    const id = partial.replace('.backup.partial', '');
    const status = async () => {
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        return (await client.query<{ status: string }>('SELECT status FROM backups WHERE id = $1', [id])).rows[0]
          ?.status;
      } finally {
        await client.end();
      }
    };
    expect(await status()).toBe('running');

    const restarted = await createTestApp(
      { LOG_STORE_ENABLED: 'false', BACKUP_DIR: backupDir },
      { databaseUrl: database.url },
    );
    try {
      expect(await status()).toBe('failed');
      expect((await readdir(backupDir)).filter((name) => name.startsWith(id))).toEqual([]);
      expect(await spools(id)).toEqual([]);
      const context = await adminContext(restarted);
      expect(await auditChainValid(context)).toEqual(expect.objectContaining({ valid: true }));
    } finally {
      await restarted.close();
    }
  });
});

describe('the command line on the embedded default (no DATABASE_URL)', () => {
  let dataDir: string;
  let backupDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sentinel-cli-embedded-'));
    backupDir = join(dataDir, 'backups');
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts the embedded PostgreSQL under DATA_DIR itself, backs up, verifies and restores', async () => {
    // Empty means unset: the command starts (and stops) the embedded server, keys generated into DATA_DIR.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      BACKUP_DIR: backupDir,
      DATABASE_URL: '',
      LOGS_FILE: '',
    };
    const created = await cli(['backup', 'create'], env);
    expect(created.code).toBe(0);
    const id = /^([0-9a-f-]{36})\s+full\s+completed/m.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    expect(existsSync(join(backupDir, `${id}.backup`))).toBe(true);
    const verified = await cli(['backup', 'verify', id!, '--restore-test'], env);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/ verified$/m);
    const dry = await cli(['restore', id!, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^users\s+replace\s+\d+ -> \d+ rows/m);
    const restored = await cli(['restore', id!], env);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`of backup ${id}: completed`);
  }, 300_000);
});
