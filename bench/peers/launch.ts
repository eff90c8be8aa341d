import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_SHARED_KEYS } from '../support/server';
import { type PeerReady, READY_PREFIX } from './peer-common';

export type PeerName = 'express-nest' | 'bare-fastify';

export interface PeerServer extends PeerReady {
  name: PeerName;
  baseUrl: string;
  pid: number;
  stop: () => Promise<void>;
}

/**
 * Starts a compiled peer (dist-bench/bench/peers/<name>.js) as its own process on `databaseUrl`,
 * with Sentinel's bench JWT secret, and waits for the line that gives its port, token and agent.
 */
export async function startPeer(name: PeerName, databaseUrl: string): Promise<PeerServer> {
  const child = spawn(process.execPath, [join(__dirname, `${name}.js`)], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: BENCH_SHARED_KEYS.JWT_SECRET,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = await new Promise<PeerReady>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name} did not start in 60 s`));
    }, 60_000);
    void exited.then((code) => {
      reject(new Error(`${name} exited with ${String(code)} before it was ready`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith(READY_PREFIX)) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice(READY_PREFIX.length)) as PeerReady);
    });
  });
  return {
    ...ready,
    name,
    baseUrl: `http://127.0.0.1:${ready.port}`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
