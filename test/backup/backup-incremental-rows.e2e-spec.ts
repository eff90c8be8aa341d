import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { BackupReader } from '../../src/backup/engine/backup-reader';
import { writeBackup } from '../../src/backup/engine/backup-writer';
import type { BackupManifest } from '../../src/backup/engine/backup-manifest';
import { runRestore } from '../../src/backup/engine/restore-engine';
import { planRestore } from '../../src/backup/engine/restore-plan';
import { backupKeyId } from '../../src/backup/format/backup-file-format';
import { DiskBackupStorage } from '../../src/backup/storage/disk-backup-storage';
import { createMigratedTestDatabase } from '../support/test-database';
import { connectTo as connect, tableChecksums, withDataSource } from './backup-support';

const material = randomBytes(32);
const key = { id: backupKeyId(material), material };

const insertLogs = (client: Client, message: string, rows: number) =>
  client.query(
    `INSERT INTO app_logs (created_at, level, message, module)
     SELECT now() - interval '1 minute', 'info', $1 || ' ' || i, 'incremental-test' FROM generate_series(1, $2::int) i`,
    [message, rows],
  );

describe('an incremental backup of an append-only table', () => {
  let source: { url: string; drop: () => Promise<void> };
  let dir: string;
  let storage: DiskBackupStorage;

  /** A full backup, or an incremental on `parent`, on two streams reading anything over 32 blocks in ranges. */
  async function backup(parent?: BackupManifest): Promise<BackupManifest> {
    const id = randomBytes(8).toString('hex');
    const client = await connect(source.url);
    try {
      const { manifest } = await writeBackup(client, await storage.create(`${id}.backup`), {
        id,
        type: parent ? 'incremental' : 'full',
        parent: parent && { id: parent.backupId, snapshot: parent.snapshot },
        compression: true,
        compressionLevel: 1,
        key,
        parallel: { streams: 2, connect: () => connect(source.url), spoolDir: dir, pieceBytes: 32 * 8192 },
      });
      return manifest;
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    source = await createMigratedTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sentinel-incremental-'));
    storage = new DiskBackupStorage(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await source.drop();
  });

  it('holds exactly the rows its parent did not see: those in flight at the parent and those written since', async () => {
    const writer = await connect(source.url);
    const inFlight = await connect(source.url);
    try {
      await insertLogs(writer, 'before the parent', 20_000);
      // Stamped a minute before the parent and committed after it: a timestamp cannot tell it is new.
      await inFlight.query('BEGIN');
      await insertLogs(inFlight, 'in flight at the parent', 3);
      const parent = await backup();
      await inFlight.query('COMMIT');
      // Freezing the parent's rows must not make them look new (nor old rows look new again).
      await writer.query('VACUUM (FREEZE) app_logs');
      await insertLogs(writer, 'after the parent', 5);
      const child = await backup(parent);

      const rowsOf = (manifest: BackupManifest) => manifest.tables.find((table) => table.name === 'app_logs');
      expect(rowsOf(parent)).toEqual(expect.objectContaining({ contents: 'all', rows: 20_000 }));
      expect(rowsOf(parent)?.segments.some((segment) => segment.blocks)).toBe(true);
      expect(rowsOf(child)).toEqual(expect.objectContaining({ contents: 'since-parent', rows: 8 }));

      const target = await createMigratedTestDatabase();
      try {
        const chain = await Promise.all(
          [parent, child].map((manifest) =>
            BackupReader.open(storage, storage.locationOf(`${manifest.backupId}.backup`), key),
          ),
        );
        const restorer = await connect(target.url);
        try {
          await runRestore(restorer, planRestore(chain, {}), { dryRun: false });
        } finally {
          await restorer.end();
        }
        const checksums = (url: string) => withDataSource(url, (sql) => tableChecksums(sql, ['app_logs']));
        expect(await checksums(target.url)).toEqual(await checksums(source.url));
      } finally {
        await target.drop();
      }
    } finally {
      await inFlight.end();
      await writer.end();
    }
  });
});
