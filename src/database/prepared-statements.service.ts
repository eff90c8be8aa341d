import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { connectionPool } from './pool-client';
import { currentTransactionScope } from './transactions/transaction-scope';

/** A statement PostgreSQL parses and plans once per connection, then runs by name. */
export interface PreparedStatement {
  /** Unique in the app: pg keeps one prepared statement per name and connection. */
  readonly name: string;
  readonly text: string;
}

/**
 * The reads every request makes (the session behind a token) go straight to
 * the pool as named prepared statements: no query runner, query builder or
 * entity hydration, and no parse or plan in PostgreSQL after a connection's
 * first use. Inside a unit of work they join its transaction instead: it
 * sees its own writes, and a request holding one connection never waits for
 * a second (enough of them at once would empty the pool and wait for good).
 */
@Injectable()
export class PreparedStatements {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = connectionPool(dataSource);
  }

  async rows<Row extends QueryResultRow>(statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
    const scope = currentTransactionScope();
    if (scope) return scope.manager.query<Row[]>(statement.text, values);
    try {
      const result = await this.pool.query<Row>({ name: statement.name, text: statement.text, values });
      return result.rows;
    } catch (error) {
      // The shape TypeORM's own queries fail with, so errors map to answers the same way (503, 400).
      throw new QueryFailedError(statement.text, values, error as Error);
    }
  }
}
