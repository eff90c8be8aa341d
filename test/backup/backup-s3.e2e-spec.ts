import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { BackupDto } from '../../src/backup/dto/backup.dto';
import { createTestApp } from '../support/test-app';
import {
  adminContext,
  type BackupContext,
  call,
  DATA_TABLES,
  restore,
  seedData,
  tableChecksums,
  takeBackup,
} from './backup-support';

const BUCKET = 'sentinel-backups';

describe('backups in an S3-compatible bucket (s3rver on loopback)', () => {
  let server: S3rver;
  let directory: string;
  let context: BackupContext;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sentinel-s3rver-'));
    server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory,
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    const address = await server.run();
    context = await adminContext(
      await createTestApp({
        LOG_STORE_ENABLED: 'false',
        // Uncompressed, so the full backup is sure to take several parts.
        ENABLE_BACKUP_COMPRESSION: 'false',
        BACKUP_S3_BUCKET: BUCKET,
        BACKUP_S3_ENDPOINT: `http://127.0.0.1:${address.port}`,
        BACKUP_S3_FORCE_PATH_STYLE: 'true',
        BACKUP_S3_ACCESS_KEY_ID: 'S3RVER',
        BACKUP_S3_SECRET_ACCESS_KEY: 'S3RVER',
        BACKUP_S3_PREFIX: 'test/',
      }),
    );
    // Enough rows for a multipart upload (parts of 8 MiB).
    await seedData(context.sql, 150_000);
  });
  afterAll(async () => {
    await context.testApp.close();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('uploads a full and an incremental backup, verifies them with a drill, and restores from the bucket', async () => {
    const before = await tableChecksums(context.sql, DATA_TABLES);
    const full = await takeBackup(context);
    expect(full.storage).toBe('s3');
    expect(full.location).toBe(`s3://${BUCKET}/test/${full.id}.backup`);
    expect(full.sizeBytes).toBeGreaterThan(8 * 1024 * 1024);
    const incremental = await takeBackup(context, 'incremental');
    const verified = await call<BackupDto>(context, 'POST', `/backups/${incremental.id}/verify`, { restoreTest: true });
    expect(verified.body.verification).toEqual(expect.objectContaining({ ok: true, checksum: true }));
    expect(verified.body.verification?.restoreTest?.ok).toBe(true);

    await context.sql.query('TRUNCATE agent_runs');
    const done = await restore(context, { backupId: incremental.id, dryRun: false });
    expect(done.status).toBe('completed');
    expect(await tableChecksums(context.sql, DATA_TABLES)).toEqual(before);
  }, 180_000);
});
