import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { findFreePort } from '../src/database/embedded/free-port';
import { isProcessAlive } from '../src/database/embedded/process.util';

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const STARTUP_DEADLINE_MS = 60_000;
const TEST_TIMEOUT_MS = 180_000;
/** The test run's own database settings must not reach the server, which is to use its embedded default. */
const NOT_INHERITED = ['DATABASE_URL', 'TEST_DATABASE_URL', 'TEST_DATABASE_KIND', 'JWT_SECRET', 'EMBEDDED_DB_PORT'];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  exited: Promise<Exit>;
  stdout: () => string;
  stderr: () => string;
}

/** Polls `condition` until it holds; fails with `what` once the deadline passes. */
async function eventually(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await delay(100);
  }
}

/** `node dist/src/main.js` as an operator would run it, on the embedded PostgreSQL under `dataDir`. */
async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await findFreePort();
  const inherited = Object.entries(process.env).filter(([name]) => !NOT_INHERITED.includes(name));
  const childEnv: NodeJS.ProcessEnv = {
    ...Object.fromEntries(inherited),
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    // Empty means unset (embedded default), and unlike a deleted variable it cannot be filled in from a local .env.
    DATABASE_URL: '',
    ...env,
  };
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  await once(child, 'spawn');
  if (child.pid === undefined) throw new Error('the server process did not start');
  return { child, pid: child.pid, port, exited, stdout: () => out.join(''), stderr: () => err.join('') };
}

function hasExited(server: ServerProcess): boolean {
  return server.child.exitCode !== null || server.child.signalCode !== null;
}

async function waitUntilReady(server: ServerProcess): Promise<void> {
  await eventually(
    'GET /health/ready answers 200',
    async () => {
      if (hasExited(server)) {
        throw new Error(`the server exited before it was ready:\n${server.stderr()}\n${server.stdout().slice(-4000)}`);
      }
      const status = await fetch(`http://127.0.0.1:${server.port}/health/ready`)
        .then((response) => response.status)
        .catch(() => 0);
      return status === 200;
    },
    STARTUP_DEADLINE_MS,
  );
}

async function stop(server: ServerProcess, signal: NodeJS.Signals): Promise<Exit> {
  if (!hasExited(server)) server.child.kill(signal);
  return server.exited;
}

/** The running embedded server's pid and port, from PostgreSQL's own postmaster.pid. */
async function postmaster(dataDir: string): Promise<{ pid: number; port: number }> {
  const lines = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
  return { pid: Number.parseInt(lines[0], 10), port: Number.parseInt(lines[3], 10) };
}

/** A direct connection to the embedded `sentinel` database, as its superuser. */
async function withDatabase<T>(dataDir: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const password = (await readFile(join(dataDir, 'postgres-password'), 'utf8')).trim();
  const { port } = await postmaster(dataDir);
  const client = new Client({ host: '127.0.0.1', port, user: 'sentinel', password, database: 'sentinel' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function probeRows(dataDir: string): Promise<string[]> {
  return withDatabase(dataDir, async (client) => {
    const { rows } = await client.query<{ note: string }>('SELECT note FROM process_probe ORDER BY note');
    return rows.map((row) => row.note);
  });
}

describe('the built server as a process', () => {
  let dataDir: string;
  const servers: ServerProcess[] = [];

  async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServer(dataDir, env);
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sentinel-process-'));
    if (!existsSync(MAIN)) {
      throw new Error(`${MAIN} is missing: run \`npm run build\` before the process tests`);
    }
  });

  afterAll(async () => {
    // Whatever failed, leave no Sentinel and no PostgreSQL behind.
    await Promise.all(servers.filter((server) => !hasExited(server)).map((server) => stop(server, 'SIGKILL')));
    const leftover = await postmaster(dataDir).catch(() => undefined);
    if (leftover && isProcessAlive(leftover.pid)) {
      process.kill(leftover.pid, 'SIGQUIT');
      await eventually('the leftover PostgreSQL exits', () => !isProcessAlive(leftover.pid), 10_000).catch(() => {
        process.kill(leftover.pid, 'SIGKILL');
      });
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a malformed PORT with one line on stderr naming it', async () => {
    const server = await start({ PORT: 'abc' });
    const exit = await server.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    const lines = server.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: PORT\b.*"abc"/);
  });

  it(
    'starts on the embedded PostgreSQL, stops it on SIGTERM, and keeps the data for the next start',
    async () => {
      const first = await start();
      await waitUntilReady(first);
      expect(await readFile(join(dataDir, 'sentinel.pid'), 'utf8')).toBe(`${first.pid}\n`);
      const database = await postmaster(dataDir);
      expect(isProcessAlive(database.pid)).toBe(true);
      await withDatabase(dataDir, async (client) => {
        await client.query('CREATE TABLE process_probe (note text NOT NULL)');
        await client.query("INSERT INTO process_probe (note) VALUES ('written before a clean stop')");
      });

      const exit = await stop(first, 'SIGTERM');

      expect(exit).toEqual({ code: 0, signal: null });
      expect(isProcessAlive(database.pid)).toBe(false);
      expect(existsSync(join(dataDir, 'sentinel.pid'))).toBe(false);

      const second = await start();
      await waitUntilReady(second);
      expect(await probeRows(dataDir)).toEqual(['written before a clean stop']);
      expect(await stop(second, 'SIGTERM')).toEqual({ code: 0, signal: null });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'comes back after being killed with SIGKILL, replacing the orphaned PostgreSQL',
    async () => {
      const killed = await start();
      await waitUntilReady(killed);
      await withDatabase(dataDir, (client) =>
        client.query("INSERT INTO process_probe (note) VALUES ('written before a crash')"),
      );
      const orphan = await postmaster(dataDir);

      expect(await stop(killed, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      // Nothing stopped the database: it lives on without its parent.
      expect(isProcessAlive(orphan.pid)).toBe(true);

      const restarted = await start();
      await waitUntilReady(restarted);

      const replacement = await postmaster(dataDir);
      expect(replacement.pid).not.toBe(orphan.pid);
      await eventually('the orphaned PostgreSQL is gone', () => !isProcessAlive(orphan.pid), 30_000);
      expect(await probeRows(dataDir)).toEqual(['written before a clean stop', 'written before a crash']);
      expect(await stop(restarted, 'SIGTERM')).toEqual({ code: 0, signal: null });
      expect(isProcessAlive(replacement.pid)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses to start a second server on a DATA_DIR in use',
    async () => {
      const owner = await start();
      await waitUntilReady(owner);

      const intruder = await start();
      const exit = await intruder.exited;

      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(intruder.stderr()).toContain(`DATA_DIR ${dataDir}`);
      // The first server is untouched.
      const ready = await fetch(`http://127.0.0.1:${owner.port}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await readFile(join(dataDir, 'sentinel.pid'), 'utf8')).toBe(`${owner.pid}\n`);
      expect(await stop(owner, 'SIGTERM')).toEqual({ code: 0, signal: null });
    },
    TEST_TIMEOUT_MS,
  );
});
