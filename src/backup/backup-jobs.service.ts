import { setTimeout as delay } from 'node:timers/promises';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { DomainEvent } from '../common/events/domain-event';
import { DomainEvents } from '../common/events/domain-events.service';
import { AdvisoryLockService } from '../database/advisory-lock.service';
import { runInTransactionScope } from '../database/transactions/transaction-scope';
import { BackupErrorCode, BackupException } from './backup.exception';

/** One backup, restore or cleanup at a time across every instance on the database. */
const JOB_LOCK = 'sentinel:backup';
const LOCK_ATTEMPTS = 10;
const LOCK_RETRY_MS = 100;

export interface StartedJob<T> {
  /** Resolves once the job holds the lock and has begun (its record exists). */
  started: Promise<T>;
  /** Resolves when the job is over, whatever its outcome (the job records failures itself). */
  finished: Promise<void>;
}

/**
 * Runs backup work under the cluster-wide job lock, in the background when
 * the caller only waits for it to start, and aborts what is still running
 * when the application shuts down (a restore then rolls back).
 */
@Injectable()
export class BackupJobs implements OnModuleDestroy {
  private readonly running = new Set<{ abort: AbortController; finished: Promise<void> }>();

  constructor(
    private readonly locks: AdvisoryLockService,
    private readonly events: DomainEvents,
  ) {}

  /** `begin` runs first under the lock; `work` then runs with its result and an abort signal. */
  start<T>(begin: () => Promise<T>, work: (started: T, signal: AbortSignal) => Promise<void>): StartedJob<T> {
    const abort = new AbortController();
    let resolveStarted!: (value: T) => void;
    let rejectStarted!: (error: unknown) => void;
    const started = new Promise<T>((resolve, reject) => {
      resolveStarted = resolve;
      rejectStarted = reject;
    });
    // Outside the request's unit of work: the job outlives it, and its events must not wait for its commit.
    const finished = runInTransactionScope(undefined, () =>
      this.acquire(async () => {
        const value = await begin();
        resolveStarted(value);
        await work(value, abort.signal);
      }),
    ).then(
      (acquired) => {
        if (!acquired) rejectStarted(new BackupException(BackupErrorCode.Busy));
      },
      (error: unknown) => {
        rejectStarted(error);
      },
    );
    const entry = { abort, finished };
    this.running.add(entry);
    void finished.finally(() => this.running.delete(entry));
    return { started, finished };
  }

  /**
   * Runs `fn` under the lock, retrying for a moment first: a job that has just
   * reported its outcome may still be releasing it.
   */
  private async acquire(fn: () => Promise<void>): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const run = await this.locks.withAdvisoryLock(JOB_LOCK, fn);
      if (run.acquired || attempt === LOCK_ATTEMPTS) return run.acquired;
      await delay(LOCK_RETRY_MS);
    }
  }

  /** Runs `fn` under the job lock if no job holds it; undefined when one does. */
  async ifIdle<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const run = await this.locks.withAdvisoryLock(JOB_LOCK, fn);
    return run.acquired ? run.result : undefined;
  }

  publish(event: DomainEvent): void {
    this.events.publish(event);
  }

  // Before the data source closes (that happens at application shutdown), so a restore can still roll back.
  async onModuleDestroy(): Promise<void> {
    for (const job of this.running) job.abort.abort(new Error('the application is shutting down'));
    await Promise.all([...this.running].map((job) => job.finished));
  }
}
