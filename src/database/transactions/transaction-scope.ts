import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { DeferredTransactionQueryRunner } from './deferred-transaction.query-runner';

type Hook = () => Promise<void>;

/**
 * One unit of work: the transaction every statement inside it joins, the
 * work that must go into it as it commits (the audit rows of what it did,
 * sent with the COMMIT), and what may happen only once it has committed (delivering its
 * domain events).
 */
export class TransactionScope {
  readonly manager: EntityManager;
  private readonly runner: DeferredTransactionQueryRunner;
  private readonly beforeCommit: Hook[] = [];
  private readonly withCommit: (() => string)[] = [];
  private readonly afterCommit: (() => void)[] = [];
  private readonly resources = new Map<symbol, unknown>();
  private keepOnFailure = false;

  constructor(dataSource: DataSource) {
    this.runner = new DeferredTransactionQueryRunner(dataSource.driver as PostgresDriver);
    this.manager = dataSource.createEntityManager(this.runner);
    Object.assign(this.runner, { manager: this.manager });
  }

  /** Runs last before COMMIT, inside the transaction, in the order registered. */
  onBeforeCommit(hook: Hook): void {
    this.beforeCommit.push(hook);
  }

  /**
   * The last write, as literal SQL built when the unit commits, sent with the
   * COMMIT in one round trip (the audit rows of what it did): it commits with
   * the work or not at all, one round trip sooner.
   */
  onCommitSend(statement: () => string): void {
    this.withCommit.push(statement);
  }

  /** Runs after a successful COMMIT, never after a rollback. */
  onAfterCommit(hook: () => void): void {
    this.afterCommit.push(hook);
  }

  /** A value kept for this unit of work only, created on first use (e.g. the audit rows it stages). */
  resource<T>(key: symbol, create: () => T): T {
    if (!this.resources.has(key)) this.resources.set(key, create());
    return this.resources.get(key) as T;
  }

  /** What ran so far must be committed even though the work fails (e.g. a counted failed login). */
  commitOnFailure(): void {
    this.keepOnFailure = true;
  }

  get commitsOnFailure(): boolean {
    return this.keepOnFailure;
  }

  async commit(): Promise<void> {
    let last: string | undefined;
    try {
      for (const hook of this.beforeCommit) await hook();
      last = this.withCommit.length > 0 ? this.withCommit.map((statement) => statement()).join(';\n') : undefined;
    } catch (error) {
      await this.runner.finish('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await this.runner.finish('COMMIT', last);
    for (const hook of this.afterCommit) hook();
  }

  async rollback(): Promise<void> {
    await this.runner.finish('ROLLBACK');
  }
}

const storage = new AsyncLocalStorage<TransactionScope | undefined>();

/** The unit of work the current code runs in, if any. */
export function currentTransactionScope(): TransactionScope | undefined {
  return storage.getStore();
}

export function runInTransactionScope<T>(scope: TransactionScope | undefined, fn: () => Promise<T>): Promise<T> {
  return storage.run(scope, fn);
}
