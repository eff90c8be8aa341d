/** The built server (`node dist/src/main.js`) as an operator runs it, for tests that need a real process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { findFreePort } from '../../src/database/embedded/free-port';

const ROOT = join(__dirname, '..', '..');
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');
export const STARTUP_DEADLINE_MS = 60_000;
/** The test run's own database settings must not reach the server, which is to use its embedded default. */
const NOT_INHERITED = ['DATABASE_URL', 'TEST_DATABASE_URL', 'TEST_DATABASE_KIND', 'JWT_SECRET', 'EMBEDDED_DB_PORT'];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /**
   * What the server printed, set only when it did not end as the signal asked (exit 0 on SIGTERM/SIGINT,
   * killed by any other): `toEqual` ignores an undefined property, so a clean exit still equals
   * `{ code: 0, signal: null }` and an unclean one shows why in the failure.
   */
  output?: string;
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  exited: Promise<Exit>;
  stdout: () => string;
  stderr: () => string;
}

/** Polls `condition` until it holds; fails with `what` once the deadline passes. */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await delay(100);
  }
}

/** `node dist/src/main.js` as an operator would run it, on the embedded PostgreSQL under `dataDir`. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
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

export function hasExited(server: ServerProcess): boolean {
  return server.child.exitCode !== null || server.child.signalCode !== null;
}

export async function waitUntilReady(server: ServerProcess): Promise<void> {
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

export async function stop(server: ServerProcess, signal: NodeJS.Signals): Promise<Exit> {
  if (!hasExited(server)) server.child.kill(signal);
  const exit = await server.exited;
  const graceful = signal === 'SIGTERM' || signal === 'SIGINT';
  const asAsked = graceful ? exit.code === 0 : exit.signal === signal;
  if (asAsked) return exit;
  return { ...exit, output: `stderr:\n${server.stderr()}\nstdout (end):\n${server.stdout().slice(-6000)}` };
}

/** The running embedded server's pid and port, from PostgreSQL's own postmaster.pid. */
export async function postmaster(dataDir: string): Promise<{ pid: number; port: number }> {
  const lines = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
  return { pid: Number.parseInt(lines[0], 10), port: Number.parseInt(lines[3], 10) };
}

/** A direct connection to the embedded `sentinel` database, as its superuser. */
export async function withDatabase<T>(dataDir: string, fn: (client: Client) => Promise<T>): Promise<T> {
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
