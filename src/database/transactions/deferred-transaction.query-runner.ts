import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

type QueryResult = ReturnType<PostgresQueryRunner['query']>;

/**
 * A query runner whose transaction opens with its first statement rather than
 * when it is created: a request that hashes a password before it writes holds
 * no pooled connection while it hashes, and one that writes nothing costs no
 * BEGIN and COMMIT. TypeORM sees a transaction open from the start, so that
 * save() and friends never open or commit one of their own inside it.
 */
export class DeferredTransactionQueryRunner extends PostgresQueryRunner {
  private beginning?: Promise<unknown>;

  constructor(driver: PostgresDriver) {
    super(driver, 'master');
    this.isTransactionActive = true;
    this.transactionDepth = 1;
  }

  /** True once a statement has run, so there is something to commit or roll back. */
  get begun(): boolean {
    return this.beginning !== undefined;
  }

  override async query(query: string, parameters?: unknown[], useStructuredResult?: boolean): QueryResult {
    this.beginning ??= super.query('START TRANSACTION');
    await this.beginning;
    return super.query(query, parameters, useStructuredResult);
  }

  /**
   * Commits or rolls back what ran, and gives the connection back to the pool
   * either way. A transaction that never started (its BEGIN failed) has
   * nothing to finish: whatever ran in it failed, and its callers were told.
   * `last`, a statement of literal SQL, goes with the COMMIT in one round trip
   * (PostgreSQL runs the COMMIT only if it succeeds), or runs alone, atomic by
   * itself, where nothing else did.
   */
  async finish(outcome: 'COMMIT' | 'ROLLBACK', last?: string): Promise<void> {
    try {
      if (outcome === 'COMMIT' && last !== undefined) {
        await this.commitWith(last);
        return;
      }
      const started =
        this.beginning &&
        (await this.beginning.then(
          () => true,
          () => false,
        ));
      if (started) await super.query(outcome);
    } finally {
      this.isTransactionActive = false;
      this.transactionDepth = 0;
      await this.release();
    }
  }

  private async commitWith(last: string): Promise<void> {
    if (this.beginning === undefined) {
      await super.query(last);
      return;
    }
    await this.beginning;
    try {
      await super.query(`${last};\nCOMMIT`);
    } catch (error) {
      // The failed statement left the transaction aborted, its COMMIT unrun: end it before the connection goes back.
      await super.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
