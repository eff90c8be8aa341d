import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '../src/database/embedded/process.util';
import {
  eventually,
  hasExited,
  MAIN,
  postmaster,
  type ServerProcess,
  startServer,
  stop,
  waitUntilReady,
  withDatabase,
} from './support/server-process';

const TEST_TIMEOUT_MS = 180_000;

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
