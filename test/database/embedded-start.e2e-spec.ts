import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '../../src/database/embedded/free-port';
import { waitUntil } from '../support/wait';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const NOT_INHERITED = ['DATABASE_URL', 'TEST_DATABASE_URL', 'TEST_DATABASE_KIND', 'JWT_SECRET', 'EMBEDDED_DB_PORT'];

interface Server {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** `node dist/src/main.js` on the embedded PostgreSQL under `dataDir`, as an operator would start it. */
async function startServer(dataDir: string): Promise<Server> {
  const port = await findFreePort();
  const inherited = Object.entries(process.env).filter(([name]) => !NOT_INHERITED.includes(name));
  const env = { ...Object.fromEntries(inherited), PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir };
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: 'warning', DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const err: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  await once(child, 'spawn');
  return { child, port, exited, stderr: () => err.join('') };
}

async function asRole<T>(dataDir: string, user: string, passwordFile: string, sql: string): Promise<T[]> {
  const password = (await readFile(join(dataDir, passwordFile), 'utf8')).trim();
  const pid = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
  const client = new Client({ host: '127.0.0.1', port: Number(pid[3]), user, password, database: 'sentinel' });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

async function waitUntilReady(server: Server): Promise<void> {
  await waitUntil(async () => {
    if (server.child.exitCode !== null) throw new Error(`the server exited:\n${server.stderr()}`);
    const response = await fetch(`http://127.0.0.1:${server.port}/health/ready`).catch(() => undefined);
    return response?.status === 200;
  }, 90_000);
}

describe('the embedded database as the built server starts it', () => {
  let dataDir: string;
  let server: Server | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sentinel-embedded-'));
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('connects the app as a role of its own that is not a superuser and owns its tables', async () => {
    server = await startServer(dataDir);
    await waitUntilReady(server);

    const [app] = await asRole<{ rolsuper: boolean; user: string }>(
      dataDir,
      'sentinel_app',
      'postgres-app-password',
      'SELECT rolsuper, current_user AS user FROM pg_roles WHERE rolname = current_user',
    );
    expect(app).toEqual({ rolsuper: false, user: 'sentinel_app' });
    // Every connection of the app's pool is that role, and it owns what the migrations made.
    const sessions = await asRole<{ usename: string }>(
      dataDir,
      'sentinel',
      'postgres-password',
      "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'sentinel'",
    );
    expect(sessions).toEqual([{ usename: 'sentinel_app' }]);
    const owners = await asRole<{ owner: string }>(
      dataDir,
      'sentinel',
      'postgres-password',
      "SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(owners).toEqual([{ owner: 'sentinel_app' }]);

    // What a database made before the app had its own role looks like: objects owned by the superuser.
    await asRole(dataDir, 'sentinel', 'postgres-password', 'CREATE TABLE legacy_rows (id serial PRIMARY KEY)');
    await asRole(dataDir, 'sentinel', 'postgres-password', 'CREATE SEQUENCE legacy_ids AS bigint');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 180_000);

  it('hands the tables and sequences of an older database over to the app role at start', async () => {
    server = await startServer(dataDir);
    await waitUntilReady(server);
    const owners = await asRole<{ relname: string; owner: string }>(
      dataDir,
      'sentinel',
      'postgres-password',
      `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S') AND c.relname LIKE 'legacy%'`,
    );
    expect(owners).toHaveLength(3);
    expect(owners.every((row) => row.owner === 'sentinel_app')).toBe(true);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 180_000);

  it('stops with one clear line when a DATA_DIR secret is short, and leaves the file as it was', async () => {
    await writeFile(join(dataDir, 'jwt-secret'), 'short\n');
    server = await startServer(dataDir);
    const code = await server.exited;
    expect(code).not.toBe(0);
    const lines = server.stderr().trimEnd().split('\n');
    expect(lines).toEqual([expect.stringMatching(/jwt-secret holds no secret of at least 32 characters; refusing/)]);
    expect(await readFile(join(dataDir, 'jwt-secret'), 'utf8')).toBe('short\n');
  }, 180_000);
});
