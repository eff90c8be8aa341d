import { Client, type ClientConfig, type Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * The class of the pool's connections. pg reports a connection PostgreSQL
 * ended (an outage, pg_terminate_backend, a failover) as an 'error' event, and
 * an 'error' event nobody listens to takes the whole process down. pg-pool
 * listens while a connection is idle and TypeORM while it holds one, but a
 * connection handed from the pool's queue can meet the server's FATAL with
 * neither listening: seen in the audit outage test, in 3 runs of 13, as
 * an unhandled "terminating connection due to administrator command". This
 * listener only keeps the process up: the holder still learns of the loss from
 * its next query, and the pool drops the connection when it comes back.
 */
export class PoolClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

/** TypeORM's `extra` for every pool the app opens: its own, and the short-lived ones that migrate a new database. */
export const POOL_WITH_GUARDED_CLIENTS = { Client: PoolClient };

/** The pg pool behind the app's DataSource, for the work that goes straight to PostgreSQL. */
export function connectionPool(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}
