import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreePort } from '../../src/database/embedded/free-port';
import { Role } from '../../src/rbac/role';
import { Cluster } from '../cluster/harness';

interface BackupBody {
  id: string;
  status: string;
  error: string | null;
}

const TMPFS_BYTES = 256 * 1024;

/**
 * Backups that cannot be stored: BACKUP_DIR below a regular file (unwritable even
 * for root, where chmod 000 stops nothing), BACKUP_DIR on a full filesystem (a
 * tiny tmpfs, filled), and an S3 endpoint nobody listens on. One instance each, on one database.
 */
describe('faults: backup storage unwritable, full or down', () => {
  let scratch: string;
  let fullDir: string;
  let cluster: Cluster;
  let token: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'sentinel-backup-faults-'));
    await writeFile(join(scratch, 'a-file'), 'not a directory');
    fullDir = join(scratch, 'full');
    await mkdir(fullDir);
    // Root may mount (tests run as root here and in CI); a mount refused fails the test, loudly.
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', fullDir]);
    await writeFile(join(fullDir, 'filler'), Buffer.alloc(TMPFS_BYTES - 8 * 1024));
    const closedPort = await findFreePort();
    const storage: Record<string, string>[] = [
      { BACKUP_DIR: join(scratch, 'a-file', 'backups') },
      { BACKUP_DIR: fullDir },
      {
        BACKUP_S3_BUCKET: 'sentinel-backups',
        BACKUP_S3_ENDPOINT: `http://127.0.0.1:${closedPort}`,
        BACKUP_S3_FORCE_PATH_STYLE: 'true',
        BACKUP_S3_ACCESS_KEY_ID: 'test-access-key',
        BACKUP_S3_SECRET_ACCESS_KEY: 'test-secret-access-key',
      },
    ];
    cluster = await Cluster.start({ instances: 3, instanceEnv: (index) => storage[index] });
    const admin = await cluster.createUser(Role.Admin);
    token = (await cluster.login(0, admin)).token;
  }, 180_000);
  afterAll(async () => {
    await cluster.close();
    execFileSync('umount', [fullDir]);
    await rm(scratch, { recursive: true, force: true });
  });

  async function failedBackup(index: number): Promise<BackupBody> {
    const started = await cluster.request<BackupBody>(index, '/api/v1/backups', {
      method: 'POST',
      token,
      json: { type: 'full' },
    });
    expect(started.status).toBe(202);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const current = await cluster.request<BackupBody>(index, `/api/v1/backups/${started.body.id}`, { token });
      if (current.body.status !== 'running' || Date.now() > deadline) return current.body;
      await delay(250);
    }
  }

  async function expectCleanFailure(index: number, error: RegExp): Promise<void> {
    const backup = await failedBackup(index);
    expect(backup).toEqual(expect.objectContaining({ status: 'failed', error: expect.stringMatching(error) }));
    // The event, recorded in the audit trail with the error.
    let events: { details: { error?: string } }[] = [];
    for (let i = 0; i < 40 && events.length === 0; i++) {
      events = await cluster.sql(
        "SELECT action_details AS details FROM audit_logs WHERE action_type = 'backup.failed' AND resource_id = $1",
        [backup.id],
      );
      if (events.length === 0) await delay(250);
    }
    expect(events).toEqual([{ details: expect.objectContaining({ error: expect.stringMatching(error) }) }]);
    // And the instance stays up and ready.
    expect(cluster.instance(index).running).toBe(true);
    expect((await cluster.request(index, '/health/ready')).status).toBe(200);
  }

  it('fails cleanly when BACKUP_DIR cannot be created (its parent is a file)', async () => {
    await expectCleanFailure(0, /ENOTDIR|not a directory/i);
  });

  it('fails cleanly when BACKUP_DIR is full, and leaves no partial file', async () => {
    await expectCleanFailure(1, /ENOSPC|no space/i);
    expect(await readdir(fullDir)).toEqual(['filler']);
  });

  it('fails cleanly when the S3 endpoint is down', async () => {
    await expectCleanFailure(2, /ECONNREFUSED|connect/i);
  });
});
