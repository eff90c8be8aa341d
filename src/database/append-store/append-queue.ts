import { Logger } from '@nestjs/common';
import { postgresErrorCode } from '../postgres-errors.util';

/** Where a queue's rows go: one statement writes a batch. */
export interface AppendTarget<Row> {
  /** A short name for logs and metrics: `audit`, `app_logs`, `http_request_metrics`. */
  readonly name: string;
  insert(rows: readonly Row[]): Promise<void>;
  /**
   * What to store instead of a row the database refuses even alone, or
   * undefined to drop it. The audit trail keeps a stand-in, so a refusal
   * still leaves evidence that something was recorded.
   */
  placeholder?(row: Row, error: unknown): Row;
}

export interface AppendQueueOptions {
  /** Rows held at most. */
  bufferMax: number;
  /** Rows written by one statement at most; a full batch goes at once. */
  batchMax: number;
  /** How long a row may wait for its batch to fill. */
  flushIntervalMs: number;
  /** First pause after a failed write; it doubles up to 30 s while the database stays away. */
  retryDelayMs: number;
  /**
   * A full buffer either drops its oldest row (statistics, anonymous reads)
   * or makes the caller wait for room (evidence that must not be lost).
   */
  whenFull: 'drop-oldest' | 'wait';
  /** Where the queue reports its own trouble (default: the app log). The log store's queue must not log into itself. */
  report?: (level: 'info' | 'warning' | 'error', message: string) => void;
}

export interface AppendQueueStats {
  queued: number;
  written: number;
  /** Dropped for room in a full buffer. */
  dropped: number;
  /** Refused by the database even alone: stored as a placeholder, or dropped where there is none. */
  refused: number;
  /** Callers waiting for room right now. */
  waiting: number;
  /** Since when writes fail for a reason other than the rows themselves (the database is away), if they do. */
  failingSince: Date | null;
}

interface Pending<Row> {
  row: Row;
  written?: () => void;
}

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * A bounded, batched writer for append-only rows, off the request path. A
 * batch the database refuses for its data (SQLSTATE class 22 or 23) is split
 * until the refused row stands alone, so one bad row never fails the others
 * and is never retried forever; any other failure is retried with backoff,
 * in order, within the buffer bound.
 */
export class AppendQueue<Row> {
  private readonly report: NonNullable<AppendQueueOptions['report']>;
  private queue: Pending<Row>[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private writing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  /** Rows at the head of the queue being written now: a full buffer never drops those. */
  private inFlight = 0;
  private retryDelayMs: number;
  private closed = false;
  private readonly counts = { written: 0, dropped: 0, refused: 0 };
  private failingSince: Date | null = null;

  constructor(
    private readonly target: AppendTarget<Row>,
    private readonly options: AppendQueueOptions,
  ) {
    const logger = new Logger(`AppendQueue:${target.name}`);
    this.report =
      options.report ??
      ((level, message) => {
        if (level === 'info') logger.log(message);
        else if (level === 'warning') logger.warn(message);
        else logger.error(message);
      });
    this.retryDelayMs = options.retryDelayMs;
  }

  get name(): string {
    return this.target.name;
  }

  get stats(): AppendQueueStats {
    return {
      queued: this.queue.length,
      ...this.counts,
      waiting: this.roomWaiters.length,
      failingSince: this.failingSince,
    };
  }

  /** True while rows cannot be taken without waiting or losing some: readiness reports it. */
  get saturated(): boolean {
    return this.queue.length >= this.options.bufferMax || this.failingSince !== null;
  }

  /** Queues a row; resolves once it is queued (at once, unless a `wait` buffer is full). */
  push(row: Row): Promise<void> {
    if (this.mustWait()) return this.waitForRoom().then(() => this.push(row));
    if (this.admit()) {
      this.queue.push({ row });
      this.schedule();
    }
    return Promise.resolve();
  }

  /** Queues a row and resolves once it is written (or stored as a placeholder). */
  append(row: Row): Promise<void> {
    if (this.mustWait()) return this.waitForRoom().then(() => this.append(row));
    if (!this.admit()) return Promise.resolve();
    const written = new Promise<void>((resolve) => {
      this.queue.push({ row, written: resolve });
    });
    this.schedule();
    return written;
  }

  /** Writes what is queued now; stops early (without throwing) while the database is away. */
  async flush(): Promise<void> {
    for (;;) {
      this.writeSoon();
      await this.writing;
      if (this.queue.length === 0 || this.failingSince !== null || this.closed) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.failingSince = null;
    await this.writing;
    await this.drain();
    if (this.queue.length > 0) this.report('error', `${this.queue.length} rows could not be written before shutdown`);
  }

  private mustWait(): boolean {
    return this.options.whenFull === 'wait' && this.queue.length >= this.options.bufferMax;
  }

  private waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Makes room for one more row, at once: a full drop-oldest buffer drops its
   * oldest row not being written (false: none can go, so this one is dropped).
   */
  private admit(): boolean {
    if (this.queue.length < this.options.bufferMax) return true;
    this.counts.dropped++;
    const oldest = this.queue.findIndex((pending, index) => index >= this.inFlight && !pending.written);
    if (oldest === -1) return false;
    this.queue.splice(oldest, 1);
    return true;
  }

  private releaseRoom(): void {
    let free = this.options.bufferMax - this.queue.length;
    while (free-- > 0 && this.roomWaiters.length > 0) this.roomWaiters.shift()?.();
  }

  /** A full batch goes at once, others after the flush interval; while writes fail, only after the retry pause. */
  private schedule(): void {
    if (this.writing || this.closed) return;
    if (this.failingSince === null && this.queue.length >= this.options.batchMax) {
      this.writeSoon();
      return;
    }
    if (this.timer) return;
    const delayMs = this.failingSince === null ? this.options.flushIntervalMs : this.retryDelayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writeSoon();
    }, delayMs);
    // A pending batch must not keep the process alive; shutdown flushes it.
    this.timer.unref();
  }

  private writeSoon(): void {
    if (this.writing || this.queue.length === 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.options.batchMax);
      this.inFlight = batch.length;
      try {
        await this.writeIsolatingRefusals(batch);
      } catch (error) {
        this.unavailable(error);
        return;
      } finally {
        this.inFlight = 0;
      }
      this.available();
    }
  }

  /** Writes the batch; rows refused for their data are split off and stood in for, never retried. */
  private async writeIsolatingRefusals(batch: Pending<Row>[]): Promise<void> {
    try {
      await this.target.insert(batch.map((pending) => pending.row));
      this.counts.written += batch.length;
    } catch (error) {
      if (!isRefusalOfTheData(error)) throw error;
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.writeIsolatingRefusals(batch.slice(0, half));
        await this.writeIsolatingRefusals(batch.slice(half));
        return;
      }
      await this.standIn(batch[0], error);
    }
    this.settle(batch);
  }

  /** Takes written rows out of the queue (they are its head, bar rows dropped meanwhile) and tells waiters. */
  private settle(batch: Pending<Row>[]): void {
    const done = new Set(batch);
    const head = this.queue.findIndex((pending) => !done.has(pending));
    if (head === -1) this.queue = [];
    else if (batch.every((pending, index) => this.queue[index] === pending)) this.queue.splice(0, batch.length);
    else this.queue = this.queue.filter((pending) => !done.has(pending));
    this.inFlight = Math.max(0, this.inFlight - batch.length);
    for (const pending of batch) pending.written?.();
    this.releaseRoom();
  }

  private async standIn(pending: Pending<Row>, error: unknown): Promise<void> {
    this.counts.refused++;
    const reason = postgresErrorCode(error) ?? 'unknown';
    const placeholder = this.target.placeholder?.(pending.row, error);
    if (placeholder === undefined) {
      this.report('warning', `a row was refused by the database (SQLSTATE ${reason}) and dropped`);
      return;
    }
    this.report('warning', `a row was refused by the database (SQLSTATE ${reason}); a placeholder is stored instead`);
    try {
      await this.target.insert([placeholder]);
    } catch (placeholderError) {
      if (!isRefusalOfTheData(placeholderError)) throw placeholderError;
      this.report('error', `the placeholder of a refused row was refused too (SQLSTATE ${reason}); dropped`);
    }
  }

  private unavailable(error: unknown): void {
    if (this.failingSince === null) {
      this.failingSince = new Date();
      const reason = error instanceof Error ? error.message : String(error);
      this.report('warning', `writes failing, ${this.queue.length} rows held and retried: ${reason}`);
    } else {
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_DELAY_MS);
    }
  }

  private available(): void {
    if (this.failingSince === null) return;
    this.failingSince = null;
    this.retryDelayMs = this.options.retryDelayMs;
    this.report('info', 'writes succeed again');
  }
}

/** Class 22 (data exception) and 23 (integrity constraint): the rows themselves are the problem. */
export function isRefusalOfTheData(error: unknown): boolean {
  const code = postgresErrorCode(error);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}
