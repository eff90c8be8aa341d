import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresServer } from '../../src/database/embedded/embedded-postgres.server';

/** This machine's PostgreSQL, which the fast-path benchmarks use unless BENCH_DATABASE_URL names another. */
export const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabases {
  /** Creates `sentinel_bench_<name>_<pid>` and returns its URL; dropped by stop(). */
  url: (name: string) => Promise<string>;
  stop: () => Promise<void>;
}

/**
 * Databases of the bench's own on the PostgreSQL at `adminUrl`, or, without one, on an embedded
 * PostgreSQL started for the bench: several servers must share one PostgreSQL.
 */
export async function benchDatabases(adminUrl: string | undefined): Promise<BenchDatabases> {
  let admin = adminUrl;
  let embedded: { server: EmbeddedPostgresServer; dir: string } | undefined;
  if (!admin) {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-bench-pg-'));
    const server = new EmbeddedPostgresServer({
      dataDir: dir,
      port: 0,
      log: () => undefined,
      serverOutput: () => undefined,
    });
    admin = (await server.start()).superuser;
    embedded = { server, dir };
  }
  const maintenanceUrl = admin;
  const created: string[] = [];
  const run = async (sql: string): Promise<void> => {
    const client = new Client({ connectionString: maintenanceUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    url: async (name) => {
      const database = `sentinel_bench_${name}_${process.pid}`;
      await run(`CREATE DATABASE ${database}`);
      created.push(database);
      const url = new URL(maintenanceUrl);
      url.pathname = `/${database}`;
      return url.toString();
    },
    stop: async () => {
      for (const name of created) await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      if (embedded) {
        await embedded.server.stop();
        await rm(embedded.dir, { recursive: true, force: true });
      }
    },
  };
}
