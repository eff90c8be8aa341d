import { type ChildProcess, spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { formatPbkdf2 } from '../../src/auth/password/password-hash.format';
import { findFreePort } from '../../src/database/embedded/free-port';
import type { Role } from '../../src/rbac/role';
import type { HttpResult, RequestOptions } from '../support/http';
import { TEST_ADMIN_PASSWORD, TEST_BACKUP_KEY, TEST_MASTER_KEYS } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { strongPassword, type TestUser } from '../support/users';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const READY_DEADLINE_MS = 90_000;
/** A request still unanswered after this is a hang, reported as status 0 with `timedOut`. */
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const TEST_PBKDF2_ITERATIONS = 100_000;
/** The test run's own settings must not reach the servers. */
const NOT_INHERITED = ['TEST_DATABASE_URL', 'TEST_DATABASE_KIND', 'EMBEDDED_DB_PORT'];

/** What every instance of one cluster shares, as test/support/test-app.ts sets it for an in-process app. */
export const CLUSTER_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'info',
  LOGS_FILE: '',
  JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef',
  API_KEY_PEPPER: 'test-only-api-key-pepper-0123456789abcdef',
  AUDIT_CHAIN_KEY: 'test-only-audit-chain-key-0123456789abcdef',
  BACKUP_ENCRYPTION_KEY: TEST_BACKUP_KEY,
  SECRETS_MASTER_KEYS: TEST_MASTER_KEYS,
  ADMIN_INITIAL_PASSWORD: TEST_ADMIN_PASSWORD,
  PASSWORD_PBKDF2_ITERATIONS: String(TEST_PBKDF2_ITERATIONS),
  LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
  RATE_LIMIT_PER_MINUTE: '100000',
  SECURITY_ALLOWLIST_IPS: '127.0.0.1,::1',
  // Two cores run every instance: keep the hashing of one from starving the others.
  PASSWORD_HASH_CONCURRENCY: '2',
  DATABASE_POOL_SIZE: '5',
};

export interface ClusterOptions {
  /** Instances to start (default 3). */
  instances?: number;
  /** Environment for every instance, over CLUSTER_ENV. */
  env?: Record<string, string>;
  /** Environment for one instance, over `env`. */
  instanceEnv?: (index: number) => Record<string, string>;
  /**
   * The DATABASE_URL the instances are given, when it differs from the database the
   * harness created (a fault-injecting proxy in front of it); '' for the embedded default.
   */
  connectUrl?: (databaseUrl: string) => string;
  /** The instances run on their embedded default (no DATABASE_URL; give each its DATA_DIR): no test database. */
  embedded?: boolean;
  /** Wait for every instance's /health/ready before returning (default true). */
  waitReady?: boolean;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ClusterRequestOptions extends RequestOptions {
  /** Default 15 s; past it the result has status 0 and `timedOut: true`. */
  timeoutMs?: number;
}

export interface ClusterResult<T = unknown> extends HttpResult<T> {
  instance: number;
  /** The raw body, as received. */
  text: string;
  timedOut?: boolean;
  /** Set when no HTTP answer came at all (refused connection, reset). */
  networkError?: string;
}

export interface RecordedExchange {
  instance: number;
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One server process of the cluster; restarted, it keeps its port, environment and log. */
export class Instance {
  child: ChildProcess | undefined;
  /** When the last start began and when it answered ready (Date.now()). */
  spawnedAt = 0;
  readyAt = 0;
  exited: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  private output: string[] = [];

  constructor(
    readonly index: number,
    readonly port: number,
    readonly env: NodeJS.ProcessEnv,
    readonly backupDir: string,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the process wrote, stdout and stderr, over all its starts. */
  get log(): string {
    return this.output.join('');
  }

  /** The JSON lines of the log (LOG_FORMAT=json), other lines left out. */
  logEntries(): Record<string, unknown>[] {
    return this.log
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  spawn(): void {
    const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.spawnedAt = Date.now();
    this.readyAt = 0;
    child.stdout.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
  }

  async waitReady(timeoutMs = READY_DEADLINE_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) {
        throw new Error(`instance ${this.index} exited before it was ready:\n${this.log.slice(-4000)}`);
      }
      const status = await fetch(`${this.baseUrl}/health/ready`, { signal: AbortSignal.timeout(3000) })
        .then((response) => response.status)
        .catch(() => 0);
      if (status === 200) {
        this.readyAt = Date.now();
        return;
      }
      if (Date.now() > deadline) throw new Error(`instance ${this.index} not ready after ${timeoutMs} ms`);
      await delay(100);
    }
  }

  signal(signal: NodeJS.Signals): Promise<Exit> {
    if (this.running) this.child?.kill(signal);
    return this.exited;
  }
}

/**
 * N built servers (`node dist/src/main.js`) on one PostgreSQL, as a load
 * balancer sees them: each its own process and port, one shared database and
 * shared keys. Requests go to a chosen instance or round-robin; every exchange
 * is recorded (for the leak scan) and every instance's log is kept.
 */
export class Cluster {
  readonly exchanges: RecordedExchange[] = [];
  private turn = 0;

  private constructor(
    readonly instances: Instance[],
    /** The database the harness created; '' when the instances run on their embedded default (see useDatabase). */
    public databaseUrl: string,
    private readonly dropDatabase: () => Promise<void>,
  ) {}

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx nest build\` before the cluster tests`);
    const database = options.embedded ? { url: '', drop: () => Promise.resolve() } : await createTestDatabase();
    const count = options.instances ?? 3;
    const connectUrl = options.connectUrl ? options.connectUrl(database.url) : database.url;
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !NOT_INHERITED.includes(name)));
    // One BACKUP_DIR for all, as a deployment shares it (or S3): any instance verifies any backup.
    const backupDir = await mkdtemp(join(tmpdir(), 'sentinel-cluster-backups-'));
    const instances = await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const port = await findFreePort();
        const env: NodeJS.ProcessEnv = {
          ...inherited,
          ...CLUSTER_ENV,
          BACKUP_DIR: backupDir,
          ...options.env,
          ...options.instanceEnv?.(index),
          PORT: String(port),
          DATABASE_URL: connectUrl,
        };
        return new Instance(index, port, env, env.BACKUP_DIR ?? backupDir);
      }),
    );
    const cluster = new Cluster(instances, database.url, async () => {
      await database.drop();
      await rm(backupDir, { recursive: true, force: true });
    });
    // All at once, as a deployment rolls them out: this is what the migration lock is for.
    for (const instance of instances) instance.spawn();
    if (options.waitReady ?? true) {
      try {
        await Promise.all(instances.map((instance) => instance.waitReady()));
      } catch (error) {
        await cluster.close();
        throw error;
      }
    }
    return cluster;
  }

  get size(): number {
    return this.instances.length;
  }

  instance(index: number): Instance {
    if (!Number.isInteger(index) || index < 0 || index >= this.size)
      throw new Error(`no instance ${index} in a cluster of ${this.size}`);
    return this.instances[index];
  }

  /** The next instance in round-robin order, as a balancer picks them. */
  nextIndex(): number {
    const index = this.turn % this.size;
    this.turn += 1;
    return index;
  }

  /** One real HTTP request to one instance; never throws for a refusal, a reset or a hang. */
  async request<T = unknown>(
    index: number,
    path: string,
    options: ClusterRequestOptions = {},
  ): Promise<ClusterResult<T>> {
    const instance = this.instance(index);
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    try {
      const response = await fetch(`${instance.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      const isJson = /^application\/(?:[\w.-]+\+)?json\b/.test(response.headers.get('content-type') ?? '');
      this.exchanges.push({
        instance: index,
        method,
        path,
        status: response.status,
        headers: Object.fromEntries(response.headers.entries()),
        body: text,
      });
      return {
        instance: index,
        status: response.status,
        headers: response.headers,
        text,
        body: (isJson && text ? (JSON.parse(text) as unknown) : text) as T,
      };
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
      const networkError = error instanceof Error ? `${error.message}${cause}` : String(error);
      return {
        instance: index,
        status: 0,
        headers: new Headers(),
        text: '',
        body: '' as T,
        timedOut,
        networkError,
      };
    }
  }

  /** The same request to the next instance in round-robin order. */
  requestNext<T = unknown>(path: string, options: ClusterRequestOptions = {}): Promise<ClusterResult<T>> {
    return this.request<T>(this.nextIndex(), path, options);
  }

  /** The same request once to every instance, in order (a check that a state holds cluster-wide). */
  async requestEach<T = unknown>(path: string, options: ClusterRequestOptions = {}): Promise<ClusterResult<T>[]> {
    const results: ClusterResult<T>[] = [];
    for (const instance of this.instances) results.push(await this.request<T>(instance.index, path, options));
    return results;
  }

  /** SIGTERM (or another signal), and its exit. */
  stop(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    return this.instance(index).signal(signal);
  }

  kill(index: number): Promise<Exit> {
    return this.stop(index, 'SIGKILL');
  }

  /** Starts a stopped (or killed) instance again on its port, and waits until it is ready. */
  async restart(index: number): Promise<void> {
    const instance = this.instance(index);
    if (instance.running) await instance.signal('SIGTERM');
    instance.spawn();
    await instance.waitReady();
  }

  /** Where sql() and createUser() go from now on: an embedded instance's own database, once it runs. */
  useDatabase(url: string): void {
    this.databaseUrl = url;
  }

  /** SQL on the shared database, outside every instance's pool. */
  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    if (!this.databaseUrl) throw new Error('this cluster runs on an embedded database the harness does not reach');
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /**
   * A ready-to-use user inserted straight into the database with the servers'
   * own hash format, so a test of one feature does not depend on user administration.
   */
  async createUser(role: Role, options: { username?: string; password?: string } = {}): Promise<TestUser> {
    const username = options.username ?? `${role.toLowerCase()}_${randomBytes(4).toString('hex')}`;
    const password = options.password ?? strongPassword();
    const salt = randomBytes(16);
    const hash = formatPbkdf2(
      TEST_PBKDF2_ITERATIONS,
      salt,
      pbkdf2Sync(password, salt, TEST_PBKDF2_ITERATIONS, 32, 'sha256'),
    );
    const [row] = await this.sql<{ id: string }>(
      `INSERT INTO users (username, email, role, password_hash, must_change_password, is_active)
       VALUES ($1, $2, $3, $4, false, true) RETURNING id`,
      [username, `${username}@example.test`, role, hash],
    );
    return { id: row.id, username, password, role };
  }

  /** Logs in on one instance; fails the test unless it succeeds. */
  async login(
    index: number,
    user: { username: string; password: string },
  ): Promise<{ token: string; sessionId: string }> {
    const result = await this.request<{ accessToken?: string; sessionId?: string }>(index, '/api/v1/auth/login', {
      method: 'POST',
      json: { username: user.username, password: user.password },
    });
    const { accessToken, sessionId } = result.body;
    if (result.status !== 200 || !accessToken || !sessionId) {
      throw new Error(`login of ${user.username} on instance ${index} failed: ${result.status} ${result.text}`);
    }
    return { token: accessToken, sessionId };
  }

  /** Kills whatever still runs, drops the database and the backup directories. */
  async close(): Promise<void> {
    await Promise.all(this.instances.map((instance) => instance.signal('SIGKILL')));
    await this.dropDatabase();
  }
}
