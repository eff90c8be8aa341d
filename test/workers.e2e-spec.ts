import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
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
} from './support/server-process';

const TEST_TIMEOUT_MS = 240_000;
const ADMIN_PASSWORD = 'Workers-test-Passw0rd!-long-enough';
const SCRAPE_TOKEN = 'workers-test-scrape-token-0123456789abcdef';

interface Answer {
  status: number;
  body: string;
}

/** One request on a connection of its own, so the primary hands each to the next worker. */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<Answer>((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
      });
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error(`${method} ${path} got no answer within 10 s`)));
    request.end(body);
  });
}

/** The node processes the primary forked (PostgreSQL, its other child, is not one). */
function workerPids(primary: number): number[] {
  const output = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(primary)], { encoding: 'utf8' });
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, command]) => pid && command === 'node')
    .map(([pid]) => Number(pid));
}

function countFor(metrics: string, route: string): number {
  const pattern = new RegExp(`^http_request_duration_seconds_count\\{[^}]*route="${route}"[^}]*\\} (\\d+)$`, 'gm');
  return [...metrics.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe('WORKERS=2: several server processes on one port', () => {
  let dataDir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    dataDir = await mkdtemp(join(tmpdir(), 'sentinel-workers-'));
    server = await startServer(dataDir, {
      WORKERS: '2',
      ADMIN_INITIAL_PASSWORD: ADMIN_PASSWORD,
      METRICS_SCRAPE_TOKEN: SCRAPE_TOKEN,
    });
    await waitUntilReady(server);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    if (!hasExited(server)) await stop(server, 'SIGKILL');
    const leftover = await postmaster(dataDir).catch(() => undefined);
    if (leftover && isProcessAlive(leftover.pid)) process.kill(leftover.pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves from two workers over one embedded PostgreSQL the primary started', async () => {
    await eventually('both workers listen', () => server.stdout().includes('2 workers listening'), 60_000);
    expect(workerPids(server.pid)).toHaveLength(2);
    const login = await send(
      server.port,
      'POST',
      '/api/v1/auth/login',
      { 'content-type': 'application/json' },
      JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    );
    expect(login.status).toBe(200);
    const { accessToken } = JSON.parse(login.body) as { accessToken: string };

    // A token one worker issued is good on the other: keys and sessions are shared, not per process.
    const reads = await Promise.all(
      Array.from({ length: 10 }, () =>
        send(server.port, 'GET', '/api/v1/auth/me', { authorization: `Bearer ${accessToken}` }),
      ),
    );
    expect(reads.map((read) => read.status)).toEqual(Array(10).fill(200));
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(true);
  });

  it('answers a scrape for the whole port, every worker summed', async () => {
    const probes = 30;
    for (let index = 0; index < probes; index += 1) {
      expect((await send(server.port, 'GET', '/health/live')).status).toBe(200);
    }
    // Each worker saw about half; the count only reaches the total when the primary sums them.
    const scrape = await send(server.port, 'GET', '/metrics', { authorization: `Bearer ${SCRAPE_TOKEN}` });
    expect(scrape).toMatchObject({ status: 200 });
    expect(countFor(scrape.body, '/health/live')).toBeGreaterThanOrEqual(probes);
  });

  it(
    'replaces a worker that dies, the other answering meanwhile',
    async () => {
      const [victim, survivor] = workerPids(server.pid);
      process.kill(victim, 'SIGKILL');
      // Connections the dead worker held are lost, as with any crashed process; once the
      // primary has seen the exit, every new one goes to the survivor.
      await eventually('the primary sees the exit', () => server.stdout().includes(`worker ${victim} exited`), 10_000);
      for (let index = 0; index < 5; index += 1) {
        expect((await send(server.port, 'GET', '/health/live')).status).toBe(200);
      }
      await eventually('a replacement listens', () => /replacement worker \d+ listening/.test(server.stdout()), 60_000);
      const pids = workerPids(server.pid);
      expect(pids).toHaveLength(2);
      expect(pids).toContain(survivor);
      expect(pids).not.toContain(victim);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stops every worker and then the database on SIGTERM, exiting 0',
    async () => {
      const workers = workerPids(server.pid);
      const database = await postmaster(dataDir);

      expect(await stop(server, 'SIGTERM')).toEqual({ code: 0, signal: null });
      for (const pid of workers) expect(isProcessAlive(pid)).toBe(false);
      expect(isProcessAlive(database.pid)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );
});
