import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { migrateDatabaseAt } from '../../database/migration-runner';
import { quoteIdentifier } from './table-catalog';

/**
 * Connections of their own for backup and restore (outside the app's pool, so
 * a long COPY never starves requests), to the app's database or to a scratch
 * database made for a restore drill.
 */
@Injectable()
export class BackupDatabase {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get url(): string {
    const { url } = this.dataSource.options as { url?: string };
    if (!url) throw new Error('the data source has no connection URL');
    return url;
  }

  async connect(database?: string): Promise<Client> {
    const url = new URL(this.url);
    if (database) url.pathname = `/${database}`;
    const client = new Client({ connectionString: url.toString(), application_name: 'sentinel-backup' });
    await client.connect();
    return client;
  }

  /** Cancels the statement a backup connection is running (a cancelled restore). */
  async cancel(client: Client): Promise<void> {
    const pid = (client as Client & { processID?: number }).processID;
    if (pid !== undefined) await this.dataSource.query('SELECT pg_cancel_backend($1)', [pid]);
  }

  /**
   * Runs `fn` on a new database with the app's migrations applied, dropped
   * afterwards whatever happens. Needs the CREATEDB privilege.
   */
  async withScratchDatabase<T>(fn: (name: string) => Promise<T>): Promise<T> {
    const current = new URL(this.url).pathname.slice(1);
    const name = `${current.slice(0, 40)}_drill_${randomBytes(4).toString('hex')}`;
    await this.dataSource.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    try {
      const url = new URL(this.url);
      url.pathname = `/${name}`;
      await migrateDatabaseAt(url.toString());
      return await fn(name);
    } finally {
      await this.dataSource.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
    }
  }
}
