import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessAlive } from '../../src/database/embedded/process.util';
import { Role } from '../../src/rbac/role';
import { Cluster } from '../cluster/harness';
import { embeddedDatabaseUrl, startLoad, unrecordedChanges } from './fault-support';

const MIGRATION_FILES = readdirSync(join(__dirname, '..', '..', 'migrations')).filter((file) => file.endsWith('.ts'));
const PREFIX = 'crash';

interface BackupBody {
  id: string;
  status: string;
  verification: { ok: boolean } | null;
}

/** The embedded default (no DATABASE_URL, a DATA_DIR of its own), killed with SIGKILL while it writes and backs up. */
describe('faults: kill -9 under load on the embedded default', () => {
  let dataDir: string;
  let cluster: Cluster;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sentinel-crash-'));
    cluster = await Cluster.start({ instances: 1, embedded: true, env: { DATA_DIR: dataDir } });
    cluster.useDatabase(await embeddedDatabaseUrl(dataDir));
  }, 180_000);
  afterAll(async () => {
    await cluster.close();
    // The embedded PostgreSQL outlives a killed Sentinel: stop it too.
    const pid = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')
      .then((text) => Number.parseInt(text.split('\n')[0], 10))
      .catch(() => undefined);
    if (pid !== undefined && isProcessAlive(pid)) process.kill(pid, 'SIGQUIT');
    await delay(500);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('restarts cleanly: no backup completed that fails verification, no half migration or partition, the chain verifies', async () => {
    const admin = await cluster.createUser(Role.Admin);
    const { token } = await cluster.login(0, admin);
    const load = startLoad(cluster, token, { writers: 4, readers: 1, prefix: PREFIX, maxSeconds: 60 });
    await delay(1000);
    const started = await cluster.request<BackupBody>(0, '/api/v1/backups', {
      method: 'POST',
      token,
      json: { type: 'full' },
    });
    expect(started.status).toBe(202);
    await delay(150);
    expect(await cluster.kill(0)).toEqual({ code: null, signal: 'SIGKILL' });
    const exchanges = await load.stop();

    await cluster.restart(0);
    cluster.useDatabase(await embeddedDatabaseUrl(dataDir));

    // What was acknowledged before the crash survived it, each with its audit row.
    const acknowledged = exchanges
      .filter((exchange) => exchange.kind === 'write' && exchange.status === 201)
      .map((exchange) => (exchange.body as { id: string }).id);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(await unrecordedChanges(cluster, PREFIX, acknowledged)).toEqual({
      changesWithoutRow: 0,
      acknowledgedWithoutRow: 0,
      acknowledgedMissing: 0,
    });

    // No backup is left running, and every completed one verifies.
    const backups = await cluster.request<{ items: BackupBody[] }>(0, '/api/v1/backups', { token });
    expect(backups.status).toBe(200);
    expect(backups.body.items.filter((backup) => backup.status === 'running')).toEqual([]);
    for (const backup of backups.body.items.filter((item) => item.status === 'completed')) {
      const verified = await cluster.request<BackupBody>(0, `/api/v1/backups/${backup.id}/verify`, {
        method: 'POST',
        token,
        json: {},
        timeoutMs: 60_000,
      });
      expect([backup.id, verified.status, verified.body.verification?.ok]).toEqual([backup.id, 200, true]);
    }

    // Each migration applied once and whole; every partition attached to its table, every index valid.
    const migrations = await cluster.sql<{ name: string }>('SELECT name FROM schema_migrations');
    expect(migrations).toHaveLength(MIGRATION_FILES.length);
    const detached = await cluster.sql<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname ~ '_p[0-9]{6}$'
          AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)`,
    );
    expect(detached).toEqual([]);
    expect(await cluster.sql('SELECT indexrelid::regclass::text AS index FROM pg_index WHERE NOT indisvalid')).toEqual(
      [],
    );

    const chain = await cluster.request<{ valid: boolean }>(0, '/api/v1/audit-logs/verify', {
      token,
      timeoutMs: 60_000,
    });
    expect(chain.status).toBe(200);
    expect(chain.body.valid).toBe(true);
  }, 240_000);
});
