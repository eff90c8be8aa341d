import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../cluster/harness';

/**
 * A TCP proxy between the instances and PostgreSQL, so a test can take the
 * database away from them (every connection ended, new ones closed at once)
 * and give it back, without touching the PostgreSQL other sessions use.
 */
export class DatabaseProxy {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private cut = false;
  port = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      this.accept(client);
    });
  }

  static async start(target: { host: string; port: number }): Promise<DatabaseProxy> {
    const proxy = new DatabaseProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    if (address === null || typeof address !== 'object') throw new Error('the proxy has no port');
    proxy.port = address.port;
    return proxy;
  }

  private accept(client: Socket): void {
    if (this.cut) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }

  /** The same database URL, through the proxy. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** PostgreSQL is gone: open connections reset, new ones closed on arrival. */
  cutOff(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.cutOff();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}

/** Where TEST_DATABASE_URL's server listens. */
export function testDatabaseServer(): { host: string; port: number } {
  const url = new URL(process.env.TEST_DATABASE_URL ?? '');
  return { host: url.hostname, port: Number(url.port || 5432) };
}

export interface Exchange {
  kind: string;
  instance: number;
  startedAt: number;
  endedAt: number;
  status: number;
  body: Record<string, unknown> | string;
  traceId?: string;
  /** No HTTP answer: the connection was refused, reset or timed out. */
  networkError?: string;
  /** The agent a write asked for. */
  name?: string;
}

/**
 * One request on a connection of its own (no keep-alive pool), so a refused
 * connection after a shutdown can be told apart from a request dropped mid-way.
 */
export function freshRequest(
  port: number,
  path: string,
  options: { method?: string; token?: string; json?: unknown; timeoutMs?: number } = {},
): Promise<{ status: number; body: Record<string, unknown> | string; traceId?: string; networkError?: string }> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { connection: 'close' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => {
          resolve({ status: 0, body: '', networkError: `response: ${error.message}` });
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const isJson = (res.headers['content-type'] ?? '').startsWith('application/json');
          const parsed = isJson && text ? (JSON.parse(text) as Record<string, unknown>) : text;
          const traceId = res.headers['x-request-id'];
          resolve({
            status: res.statusCode ?? 0,
            body: parsed,
            traceId: typeof traceId === 'string' ? traceId : undefined,
          });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => {
      req.destroy(new Error('timed out'));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ status: 0, body: '', networkError: error.code ?? error.message });
    });
    req.end(body);
  });
}

export interface Load {
  exchanges: Exchange[];
  /** Stops the workers and waits for their last requests. */
  stop: () => Promise<Exchange[]>;
}

/**
 * Concurrent writers (POST /api/v1/agents, each a change with its audit row)
 * and readers (GET /api/v1/agents), round-robin over the running instances,
 * until stopped (at most `maxSeconds`, so a broken test still ends).
 */
export function startLoad(
  cluster: Cluster,
  token: string,
  options: { writers: number; readers: number; prefix: string; maxSeconds?: number; instances?: number[] },
): Load {
  const exchanges: Exchange[] = [];
  const deadline = Date.now() + (options.maxSeconds ?? 60) * 1000;
  let stopped = false;
  let turn = 0;
  const targets = options.instances ?? cluster.instances.map((instance) => instance.index);
  const worker = async (kind: 'write' | 'read') => {
    while (!stopped && Date.now() < deadline) {
      const index = targets[turn++ % targets.length];
      const startedAt = Date.now();
      const name = kind === 'write' ? `${options.prefix}-${randomUUID()}` : undefined;
      const result =
        kind === 'write'
          ? await freshRequest(cluster.instance(index).port, '/api/v1/agents', {
              method: 'POST',
              token,
              json: { name },
            })
          : await freshRequest(cluster.instance(index).port, '/api/v1/agents?limit=5', { token });
      exchanges.push({ kind, instance: index, startedAt, endedAt: Date.now(), name, ...result });
      if (result.networkError === 'ECONNREFUSED') await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const workers = [
    ...Array.from({ length: options.writers }, () => worker('write')),
    ...Array.from({ length: options.readers }, () => worker('read')),
  ];
  return {
    exchanges,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      return exchanges;
    },
  };
}

/** The uniform error body (test/support/http.ts's expectErrorBody, for a raw exchange). */
export function isUniformError(exchange: Exchange, status: number, code?: string): boolean {
  const body = exchange.body;
  if (exchange.status !== status || typeof body !== 'object') return false;
  const keys = Object.keys(body).sort().join(',');
  return (
    keys === 'code,error,message,statusCode,traceId' &&
    body.statusCode === status &&
    typeof body.message === 'string' &&
    typeof body.code === 'string' &&
    (code === undefined || body.code === code) &&
    body.traceId === exchange.traceId
  );
}

/**
 * Counted in the database itself: agents named `prefix-*` with no successful
 * agents.create audit row, and 201 answers whose agent has none.
 */
export async function unrecordedChanges(
  database: Pick<Cluster, 'sql'>,
  prefix: string,
  acknowledgedIds: string[],
): Promise<{ changesWithoutRow: number; acknowledgedWithoutRow: number; acknowledgedMissing: number }> {
  const [{ count: changesWithoutRow }] = await database.sql<{ count: number }>(
    `SELECT count(*)::int AS count FROM agents a
      WHERE a.name LIKE $1 || '-%' AND NOT EXISTS (
        SELECT 1 FROM audit_logs l WHERE l.action_type = 'agents.create' AND l.resource_id = a.id::text AND l.success)`,
    [prefix],
  );
  const [{ count: recorded }] = await database.sql<{ count: number }>(
    `SELECT count(DISTINCT resource_id)::int AS count FROM audit_logs
      WHERE action_type = 'agents.create' AND success AND resource_id = ANY($1::text[])`,
    [acknowledgedIds],
  );
  const [{ count: present }] = await database.sql<{ count: number }>(
    'SELECT count(*)::int AS count FROM agents WHERE id::text = ANY($1::text[])',
    [acknowledgedIds],
  );
  return {
    changesWithoutRow,
    acknowledgedWithoutRow: acknowledgedIds.length - recorded,
    acknowledgedMissing: acknowledgedIds.length - present,
  };
}

/** The embedded server's connection URL, from what it keeps in DATA_DIR (postmaster.pid, its password). */
export async function embeddedDatabaseUrl(dataDir: string): Promise<string> {
  const password = (await readFile(join(dataDir, 'postgres-password'), 'utf8')).trim();
  const lines = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
  const port = Number.parseInt(lines[3], 10);
  return `postgres://sentinel:${encodeURIComponent(password)}@127.0.0.1:${port}/sentinel`;
}
