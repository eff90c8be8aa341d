import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface BenchServer {
  baseUrl: string;
  /** The server process (the primary when it runs workers), for reading its CPU time and memory in /proc. */
  pid: number;
  stop: () => Promise<void>;
}

export interface StartOptions {
  /** Flags for node itself, before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** The keys every instance on a shared database must share, fixed for benchmarks (never use these elsewhere). */
export const BENCH_SHARED_KEYS = {
  JWT_SECRET: 'bench-only-jwt-secret-0123456789abcdef',
  API_KEY_PEPPER: 'bench-only-api-key-pepper-0123456789abcdef',
  AUDIT_CHAIN_KEY: 'bench-only-audit-chain-key-0123456789abcdef',
  BACKUP_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
  SECRETS_MASTER_KEYS: `b1:${Buffer.alloc(32, 11).toString('base64')}`,
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/**
 * The built server (dist/src/main.js, from `npm run build`) as its own
 * process, so the load generator does not share its event loop. Without
 * BENCH_DATABASE_URL it runs on its embedded PostgreSQL in a temporary DATA_DIR.
 */
export async function startServer(env: Record<string, string>, options: StartOptions = {}): Promise<BenchServer> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'sentinel-bench-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), 'dist/src/main.js'], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl, ...BENCH_SHARED_KEYS } : {}),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ready = await fetch(`${baseUrl}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('server did not become ready in 60 s');
    await delay(200);
  }
  return {
    baseUrl,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
