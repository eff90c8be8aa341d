import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type ObjectLiteral } from 'typeorm';
import { currentTransactionScope, runInTransactionScope, TransactionScope } from './transaction-scope';

/**
 * Where statements run. Inside `run()` every repository, query and query
 * builder joins one transaction, so a multi-step write (and its audit row)
 * commits whole or not at all; outside it they go straight to the pool.
 */
@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The entity manager to use now: the open unit of work's, else the pool's. */
  get manager(): EntityManager {
    return currentTransactionScope()?.manager ?? this.dataSource.manager;
  }

  get current(): TransactionScope | undefined {
    return currentTransactionScope();
  }

  query<T = ObjectLiteral[]>(sql: string, parameters?: unknown[]): Promise<T> {
    return this.manager.query<T>(sql, parameters);
  }

  /**
   * Runs `work` in a transaction: the one already open, or a new one that
   * commits when `work` resolves and rolls back when it throws (unless
   * `commitOnFailure()` was called inside).
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (currentTransactionScope()) return work();
    const scope = new TransactionScope(this.dataSource);
    return runInTransactionScope(scope, async () => {
      let result: T;
      try {
        result = await work();
      } catch (error) {
        // A rollback that fails (the connection is gone) must not hide why the work failed.
        if (scope.commitsOnFailure) await scope.commit();
        else await scope.rollback().catch(() => undefined);
        throw error;
      }
      await scope.commit();
      return result;
    });
  }

  /**
   * Runs `work` outside any transaction: for reads before a slow step (a
   * password hash must not hold a connection open in a transaction) and for
   * writes other requests must see at once (a reserved login attempt).
   */
  outside<T>(work: () => Promise<T>): Promise<T> {
    return runInTransactionScope(undefined, work);
  }

  /** What the current transaction wrote stands even though its work fails; a no-op outside one. */
  commitOnFailure(): void {
    currentTransactionScope()?.commitOnFailure();
  }
}
