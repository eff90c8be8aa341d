import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { BackupReader } from '../src/backup/engine/backup-reader';
import { writeBackup } from '../src/backup/engine/backup-writer';
import { runRestore } from '../src/backup/engine/restore-engine';
import { planRestore } from '../src/backup/engine/restore-plan';
import { backupKeyId } from '../src/backup/format/backup-file-format';
import { DiskBackupStorage } from '../src/backup/storage/disk-backup-storage';
import { migrateDatabaseAt } from '../src/database/migration-runner';
import { EmbeddedPostgresServer } from '../src/database/embedded/embedded-postgres.server';
import { format, median } from './support/stats';
import { reportResult } from './support/result';

const run = promisify(execFile);
const SERVER = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET_GB = Number(process.env.BENCH_BACKUP_GB ?? 1);
const EMBEDDED_MB = Number(process.env.BENCH_BACKUP_EMBEDDED_MB ?? 200);
const STREAMS = Number(process.env.BACKUP_PARALLELISM ?? 2);
/** Rounds of each comparison with its peer: on a shared machine one pair of timings varies by a fifth. */
const ROUNDS = Number(process.env.BENCH_BACKUP_ROUNDS ?? 3);
const material = randomBytes(32);
const key = { id: backupKeyId(material), material };

function urlOf(database: string, server = SERVER): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (client: Client) => Promise<T>, server = SERVER): Promise<T> {
  const client = new Client({ connectionString: server });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createDatabase(name: string, server = SERVER, migrate = true): Promise<string> {
  await admin((client) => client.query(`CREATE DATABASE ${name}`), server);
  const url = urlOf(name, server);
  if (migrate) await migrateDatabaseAt(url);
  return url;
}

/**
 * A database at rest before anything is timed on or beside it: freshly written
 * rows draw autovacuum (and their dirty pages a checkpoint), which would
 * otherwise run during whichever measurement comes next and charge it for the
 * previous one's writes.
 */
async function settle(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE)');
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
}

const dropDatabase = (name: string, server = SERVER) =>
  admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`), server);

/**
 * Grows the database with rows shaped like Sentinel's: most of its bytes are
 * append-only records (stored logs here), beside agents and their runs, a
 * mutable table a tenth the size.
 */
async function fillTo(url: string, bytes: number): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS app_logs_p209901 PARTITION OF app_logs
                        FOR VALUES FROM ('2099-01-01') TO ('2099-02-01')`);
    await client.query(
      `INSERT INTO agents (name) SELECT 'agent-' || i FROM generate_series(1, 200) i ON CONFLICT DO NOTHING`,
    );
    for (;;) {
      const { rows } = await client.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size');
      if (Number(rows[0].size) >= bytes) return Number(rows[0].size);
      await client.query(
        `INSERT INTO app_logs (created_at, level, message, module, trace_id, context)
         SELECT timestamptz '2099-01-01' + (i || ' ms')::interval, (ARRAY['info','warning','error'])[1 + i % 3],
                'request ' || md5(i::text) || ' handled for user ' || (i % 977), 'Http', md5((i * 7)::text),
                jsonb_build_object('route', '/api/v1/agents/' || (i % 200), 'status', 200 + i % 5, 'ms', i % 900)
           FROM generate_series(1, 200000) i`,
      );
      await client.query(
        `INSERT INTO agent_runs (agent_id, started_at, duration_ms, findings, success, error)
         SELECT a.id, now() - (i || ' s')::interval, i % 60000, i % 9, i % 13 <> 0, CASE WHEN i % 13 = 0 THEN 'timeout after ' || i END
           FROM generate_series(1, 10000) i JOIN agents a ON a.name = 'agent-' || (1 + i % 200)`,
      );
    }
  } finally {
    await client.end();
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** One Sentinel backup in a child process of its own, so its peak RSS is its own. */
async function sentinelBackup(
  url: string,
  dir: string,
  parent?: string,
): Promise<{ ms: number; maxRssMb: number; id: string; bytes: number }> {
  const { stdout } = await run(
    process.execPath,
    [__filename, 'backup', url, dir, material.toString('base64'), parent ?? ''],
    {
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout) as { ms: number; maxRssMb: number; id: string; bytes: number };
}

async function backupWorker(url: string, dir: string, keyBase64: string, parentId: string): Promise<void> {
  const workerMaterial = Buffer.from(keyBase64, 'base64');
  const workerKey = { id: backupKeyId(workerMaterial), material: workerMaterial };
  const storage = new DiskBackupStorage(dir);
  const parent = parentId
    ? await BackupReader.open(storage, storage.locationOf(`${parentId}.backup`), workerKey)
    : undefined;
  const id = randomBytes(8).toString('hex');
  const connect = async (): Promise<Client> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    return client;
  };
  const client = await connect();
  const { ms, value } = await timed(async () =>
    writeBackup(client, await storage.create(`${id}.backup`), {
      id,
      type: parent ? 'incremental' : 'full',
      parent: parent && { id: parentId, snapshot: parent.manifest.snapshot },
      compression: true,
      compressionLevel: 1,
      key: workerKey,
      parallel: { streams: STREAMS, connect, spoolDir: dir },
    }),
  );
  await client.end();
  process.stdout.write(JSON.stringify({ ms, id, bytes: value.size, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

/** A restore into `url`; its time, and the CPU time this process spent on it (reading, decrypting, inflating). */
async function sentinelRestore(url: string, dir: string, id: string): Promise<{ ms: number; cpuMs: number }> {
  const storage = new DiskBackupStorage(dir);
  const reader = await BackupReader.open(storage, storage.locationOf(`${id}.backup`), key);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const cpu = process.cpuUsage();
    const { ms } = await timed(() => runRestore(client, planRestore([reader], {}), { dryRun: false }));
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    await client.end();
  }
}

/** `ours` and `theirs` ROUNDS times, in alternating order, so the machine's drift falls on both alike. */
async function interleaved<T>(ours: () => Promise<T>, theirs: () => Promise<T>): Promise<{ ours: T[]; theirs: T[] }> {
  const result = { ours: [] as T[], theirs: [] as T[] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [ours, theirs] : [theirs, ours];
    for (const step of order) (step === ours ? result.ours : result.theirs).push(await step());
  }
  return result;
}

/** `median ours vs median theirs: ratio (rounds lo-hi)`, ratios of each round's pair. */
function comparison(ours: number[], theirs: number[]): { ours: number; theirs: number; text: string } {
  const ratios = ours.map((value, round) => value / theirs[round]).sort((a, b) => a - b);
  const [mine, peer] = [median(ours), median(theirs)];
  const spread = `rounds ${format(ratios[0], 2)}-${format(ratios[ratios.length - 1], 2)}x`;
  return { ours: mine, theirs: peer, text: `${format(mine / peer, 2)}x (${spread})` };
}

async function onPostgres15(dir: string): Promise<void> {
  const name = `sentinel_bench_backup_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(name);
  const targets: string[] = [];
  try {
    const half = await fillTo(url, TARGET_GB * 0.5 * 1024 ** 3);
    await settle(url);
    const atHalf = await sentinelBackup(url, dir);
    const full = await fillTo(url, TARGET_GB * 1024 ** 3);
    await settle(url);
    const dumpFile = join(dir, 'bench.dump');
    const fulls: Awaited<ReturnType<typeof sentinelBackup>>[] = [];
    const backups = await interleaved(
      async () => {
        fulls.push(await sentinelBackup(url, dir));
        return fulls[fulls.length - 1].ms;
      },
      async () => (await timed(() => run('pg_dump', ['-Fc', '-f', dumpFile, url]))).ms,
    );
    let round = 0;
    // Each restore into a database of its own, settled (so the next timing is not charged for its writes) and dropped.
    const restoreInto = async (load: (database: string) => Promise<number>, migrated: boolean): Promise<number> => {
      const database = `${name}_r${round++}`;
      targets.push(database);
      const target = await createDatabase(database, SERVER, migrated);
      const ms = await load(target);
      await settle(target);
      await dropDatabase(database);
      return ms;
    };
    const sentinel = fulls[fulls.length - 1];
    const restoredCpuMs: number[] = [];
    const restores = await interleaved(
      () =>
        restoreInto(async (target) => {
          const restored = await sentinelRestore(target, dir, sentinel.id);
          restoredCpuMs.push(restored.cpuMs);
          return restored.ms;
        }, true),
      () => restoreInto(async (target) => (await timed(() => run('pg_restore', ['-d', target, dumpFile]))).ms, false),
    );
    const growth = new Client({ connectionString: url });
    await growth.connect();
    const { rows } = await growth.query<{ count: string }>('SELECT count(*) AS count FROM app_logs');
    await growth.query(
      `INSERT INTO app_logs (created_at, level, message, module, context)
       SELECT timestamptz '2099-01-20' + (i || ' ms')::interval, 'info', 'later request ' || md5(i::text), 'Http', '{}'::jsonb
         FROM generate_series(1, $1::int) i`,
      [Math.round(Number(rows[0].count) / 100)],
    );
    await growth.end();
    await settle(url);
    // Each one from the same parent over the same rows: the same work ROUNDS times, for a median.
    const incrementalMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) incrementalMs.push((await sentinelBackup(url, dir, sentinel.id)).ms);
    const incremental = median(incrementalMs);
    const mb = (bytes: number) => format(bytes / 1024 ** 2, 0);
    console.log(
      `PostgreSQL at ${new URL(SERVER).host}, database of ${mb(full)} MB (the half-size run at ${mb(half)} MB), ` +
        `${STREAMS} COPY streams (BACKUP_PARALLELISM), gzip level 1, AES-256-GCM`,
    );
    const backup = comparison(backups.ours, backups.theirs);
    const peakRssMb = Math.max(...fulls.map((run) => run.maxRssMb));
    const restore = comparison(restores.ours, restores.theirs);
    console.log(`  medians of ${ROUNDS} interleaved rounds:`);
    console.log(
      `  full backup: ${format(backup.ours / 1000)} s (${mb(sentinel.bytes)} MB file) vs pg_dump -Fc ${format(backup.theirs / 1000)} s (${mb((await stat(dumpFile)).size)} MB): ${backup.text} (goal <= 1.0x)`,
    );
    console.log(
      `  restore: ${format(restore.ours / 1000)} s (of which ${format(median(restoredCpuMs) / 1000)} s CPU in Node) vs pg_restore ${format(restore.theirs / 1000)} s: ${restore.text} (goal <= 1.0x)`,
    );
    console.log(
      `  incremental after 1% new rows: ${format(incremental / 1000)} s (${ROUNDS} runs, ${format(Math.min(...incrementalMs) / 1000)}-${format(Math.max(...incrementalMs) / 1000)} s) vs full ${format(backup.ours / 1000)} s: ${format(incremental / backup.ours, 3)}x (goal <= 0.1x)`,
    );
    console.log(
      `  peak RSS: ${format(atHalf.maxRssMb, 0)} MB at ${mb(half)} MB, ${format(peakRssMb, 0)} MB at ${mb(full)} MB: ${format(peakRssMb / atHalf.maxRssMb, 2)}x (goal within 20 %)`,
    );
    const at = `a ${mb(full)} MB database`;
    reportResult({
      bench: 'backup',
      figure: `full backup of ${at}`,
      value: backup.ours / 1000,
      unit: 's',
      baseline: { name: 'pg_dump -Fc', value: backup.theirs / 1000 },
      goal: '<= 1.0x',
    });
    reportResult({
      bench: 'backup',
      figure: `restore of ${at}`,
      value: restore.ours / 1000,
      unit: 's',
      baseline: { name: 'pg_restore', value: restore.theirs / 1000 },
      goal: '<= 1.0x',
    });
    reportResult({
      bench: 'backup',
      figure: 'incremental backup after 1 % new rows',
      value: incremental / 1000,
      unit: 's',
      baseline: { name: 'the full backup', value: backup.ours / 1000 },
      goal: '<= 0.1x',
    });
    reportResult({
      bench: 'backup',
      figure: `backup peak RSS at ${mb(full)} MB`,
      value: peakRssMb,
      unit: 'MB',
      baseline: { name: `the same at ${mb(half)} MB`, value: atHalf.maxRssMb },
      goal: 'within 20 %',
    });
  } finally {
    for (const target of targets) await dropDatabase(target);
    await dropDatabase(name);
  }
}

async function onEmbedded(dir: string): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sentinel-bench-pg-'));
  const server = new EmbeddedPostgresServer({ dataDir, port: 0, log: () => undefined, serverOutput: () => undefined });
  try {
    const base = (await server.start()).superuser;
    const url = await createDatabase('bench_source', base);
    const size = await fillTo(url, EMBEDDED_MB * 1024 ** 2);
    const backup = await sentinelBackup(url, dir);
    const restored = await sentinelRestore(await createDatabase('bench_target', base), dir, backup.id);
    const rate = (ms: number) => format(size / 1024 ** 2 / (ms / 1000), 1);
    console.log(`embedded PostgreSQL 18, database of ${format(size / 1024 ** 2, 0)} MB`);
    console.log(`  backup ${rate(backup.ms)} MB/s, restore ${rate(restored.ms)} MB/s`);
    reportResult({
      bench: 'backup',
      figure: 'backup on the embedded PostgreSQL',
      value: Number(rate(backup.ms)),
      unit: 'MB/s',
    });
    reportResult({
      bench: 'backup',
      figure: 'restore on the embedded PostgreSQL',
      value: Number(rate(restored.ms)),
      unit: 'MB/s',
    });
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-bench-backups-'));
  try {
    await onPostgres15(dir);
    await onEmbedded(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const [mode, ...args] = process.argv.slice(2);
(mode === 'backup' ? backupWorker(args[0], args[1], args[2], args[3]) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
