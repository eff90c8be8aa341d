import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupReader } from '../../src/backup/engine/backup-reader';
import { writeBackup } from '../../src/backup/engine/backup-writer';
import type { BackupManifest, ManifestSegment } from '../../src/backup/engine/backup-manifest';
import { runRestore } from '../../src/backup/engine/restore-engine';
import { planRestore } from '../../src/backup/engine/restore-plan';
import { backupKeyId } from '../../src/backup/format/backup-file-format';
import { DiskBackupStorage } from '../../src/backup/storage/disk-backup-storage';
import { createMigratedTestDatabase } from '../support/test-database';
import { connectTo as connect, readWithReadmeScript, tableChecksums, withDataSource } from './backup-support';

const BLOCK = 8192;
const TABLES = ['agents', 'agent_runs', 'app_logs'];
const material = randomBytes(32);
const key = { id: backupKeyId(material), material };

/** Agents, a few hundred blocks of their runs, and of stored logs in a partition a new database lacks. */
async function seed(url: string): Promise<void> {
  const client = await connect(url);
  try {
    await client.query(`CREATE TABLE app_logs_p209901 PARTITION OF app_logs
                        FOR VALUES FROM ('2099-01-01') TO ('2099-02-01')`);
    await client.query(`INSERT INTO agents (name) SELECT 'agent-' || i FROM generate_series(1, 20) i`);
    await client.query(
      `INSERT INTO agent_runs (agent_id, started_at, duration_ms, findings, success, error)
       SELECT a.id, now() - (i || ' s')::interval, i % 60000, i % 9, i % 13 <> 0, CASE WHEN i % 13 = 0 THEN 'timeout after ' || i END
         FROM generate_series(1, 30000) i JOIN agents a ON a.name = 'agent-' || (1 + i % 20)`,
    );
    await client.query(
      `INSERT INTO app_logs (created_at, level, message, module, context)
       SELECT timestamptz '2099-01-01' + (i || ' ms')::interval, 'info', 'request ' || md5(i::text), 'Http',
              jsonb_build_object('route', '/api/v1/agents/' || (i % 20))
         FROM generate_series(1, 20000) i`,
    );
    // Deleted rows leave their blocks behind: a range scan must skip them as a whole-table scan does.
    await client.query('DELETE FROM agent_runs WHERE findings = 4');
  } finally {
    await client.end();
  }
}

function segmentsOf(manifest: BackupManifest, table: string): ManifestSegment[] {
  return manifest.tables.find((entry) => entry.name === table)?.segments ?? [];
}

describe('a backup reading large relations in block ranges on parallel streams', () => {
  let source: { url: string; drop: () => Promise<void> };
  let dir: string;
  let manifest: BackupManifest;
  let location: string;

  beforeAll(async () => {
    source = await createMigratedTestDatabase();
    await seed(source.url);
    dir = await mkdtemp(join(tmpdir(), 'sentinel-block-ranges-'));
    const storage = new DiskBackupStorage(dir);
    const id = randomBytes(8).toString('hex');
    const client = await connect(source.url);
    try {
      const written = await writeBackup(client, await storage.create(`${id}.backup`), {
        id,
        type: 'full',
        compression: true,
        compressionLevel: 1,
        key,
        parallel: { streams: 2, connect: () => connect(source.url), spoolDir: dir, pieceBytes: 64 * BLOCK },
      });
      manifest = written.manifest;
      location = storage.locationOf(`${id}.backup`);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await source.drop();
  });

  it('covers every block once: consecutive ranges, the last open-ended, whose rows add up to the relation', async () => {
    const counts = await withDataSource(source.url, (sql) =>
      sql.query<{ runs: number; logs: number }[]>(
        `SELECT (SELECT count(*) FROM agent_runs)::int AS runs, (SELECT count(*) FROM app_logs_p209901)::int AS logs`,
      ),
    );
    const logs = segmentsOf(manifest, 'app_logs').filter((segment) => segment.partition === 'app_logs_p209901');
    for (const [segments, rows] of [
      [segmentsOf(manifest, 'agent_runs'), counts[0].runs],
      [logs, counts[0].logs],
    ] as const) {
      expect(segments.length).toBeGreaterThan(2);
      expect(segments[0].blocks?.from).toBe(0);
      for (let piece = 1; piece < segments.length; piece++) {
        expect(segments[piece].blocks?.from).toBe(segments[piece - 1].blocks?.to);
        expect(segments[piece].segment).toBe(segments[piece - 1].segment + 1);
      }
      expect(segments.at(-1)?.blocks).toEqual({ from: expect.any(Number) });
      expect(segments.reduce((sum, segment) => sum + segment.rows, 0)).toBe(rows);
    }
    // A small relation stays one stream.
    expect(segmentsOf(manifest, 'agents')).toEqual([expect.not.objectContaining({ blocks: expect.anything() })]);
  });

  it('restores to identical contents, every piece copied into its relation', async () => {
    const target = await createMigratedTestDatabase();
    try {
      const storage = new DiskBackupStorage(dir);
      const reader = await BackupReader.open(storage, location, key);
      const client = await connect(target.url);
      try {
        await runRestore(client, planRestore([reader], {}), { dryRun: false });
      } finally {
        await client.end();
      }
      const restored = await withDataSource(target.url, (sql) => tableChecksums(sql, TABLES));
      expect(restored).toEqual(await withDataSource(source.url, (sql) => tableChecksums(sql, TABLES)));
    } finally {
      await target.drop();
    }
  });

  it('is read by the README’s script into one file per relation, its pieces joined in block order', async () => {
    await readWithReadmeScript(location, material.toString('base64'), async (out) => {
      const lines = (await readFile(join(out, 'agent_runs.copy'), 'utf8')).split('\n').filter(Boolean);
      const ids = await withDataSource(source.url, (sql) =>
        sql.query<{ id: string }[]>('SELECT id::text FROM agent_runs ORDER BY ctid'),
      );
      expect(lines.map((line) => line.split('\t')[0])).toEqual(ids.map((row) => row.id));
    });
  });
});
