import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { loggingConfig, type LogLevel } from '../../config/logging.config';
import { AppLogger } from './app-logger.service';
import type { LogRecord, LogSink } from './log-sink.transport';
import { isRefusedByDatabase, LogStoreRepository } from './log-store.repository';

/** Entries logged within this window share one insert. */
export const BATCH_WINDOW_MS = 200;
export const RETRY_DELAY_MS = 1000;
const MODULE = 'LogStore';

/**
 * Copies log entries at LOG_STORE_LEVEL and above into PostgreSQL, in
 * batches, from a bounded buffer: beyond LOG_STORE_BUFFER_MAX entries the
 * oldest is dropped and counted, so an unavailable database costs memory up
 * to a limit and never blocks a caller. A failed batch is retried, unless
 * the database refused its rows (then retrying cannot help). Its own
 * trouble is reported with AppLogger.writeLocal (stdout and file only), so a
 * failing store never logs into itself.
 *
 * Entries logged while the app starts, before the store is attached at
 * bootstrap (Nest's module and route messages), are not stored: they are on
 * stdout and in the file.
 */
@Injectable()
export class LogStoreWriter implements LogSink, OnApplicationBootstrap, OnApplicationShutdown {
  readonly level: LogLevel;
  private queue: LogRecord[] = [];
  private draining?: Promise<void>;
  private batchTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private unavailable = false;
  private closed = false;
  private droppedCount = 0;
  private droppedUnreported = 0;

  constructor(
    private readonly repository: LogStoreRepository,
    private readonly logger: AppLogger,
    @Inject(loggingConfig.KEY) private readonly config: ConfigType<typeof loggingConfig>,
  ) {
    this.level = config.store.level;
  }

  /** Entries not stored: dropped from a full buffer, or refused by the database. */
  get dropped(): number {
    return this.droppedCount;
  }

  onApplicationBootstrap(): void {
    if (this.config.store.enabled) this.logger.attachSink(this);
  }

  /**
   * Runs after the HTTP server has let in-flight requests finish, so their
   * entries are stored, and before the database closes (the data source
   * belongs to a global module, and those shut down last).
   */
  async onApplicationShutdown(): Promise<void> {
    this.logger.detachSink(this);
    // No timer may outlive the app: it would retry against a closed database for as long as the process runs.
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.batchTimer);
    await this.draining;
    await this.drain();
    this.reportDropped();
    if (this.queue.length > 0) {
      this.logger.writeLocal('error', `${this.queue.length} log entries could not be stored before shutdown`, MODULE);
    }
  }

  accept(record: LogRecord): void {
    const excess = this.queue.length + 1 - this.config.store.bufferMax;
    if (excess > 0) this.drop(excess);
    this.queue.push(record);
    if (this.queue.length >= this.config.store.batchMax) this.drainSoon();
    else this.scheduleBatch();
  }

  /** Writes everything queued now, including a batch being written (stops early while the database is down). */
  async flush(): Promise<void> {
    do {
      this.drainSoon();
      await this.draining;
    } while (this.queue.length > 0 && !this.retryTimer && !this.closed);
  }

  private scheduleBatch(): void {
    if (this.batchTimer || this.draining || this.retryTimer || this.closed) return;
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      this.drainSoon();
    }, BATCH_WINDOW_MS);
    this.batchTimer.unref();
  }

  private drainSoon(): void {
    if (this.draining || this.retryTimer || this.closed) return;
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // Entries accepted between the last insert and this moment found a drain running and did not schedule one.
      if (this.queue.length > 0) this.scheduleBatch();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.config.store.batchMax);
      try {
        await this.repository.insert(batch);
      } catch (error) {
        if (isRefusedByDatabase(error)) {
          this.refuse(batch, error);
          continue;
        }
        this.retryLater(batch, error);
        return;
      }
    }
    if (this.unavailable) {
      this.unavailable = false;
      this.logger.writeLocal('info', 'log store writable again', MODULE);
    }
    this.reportDropped();
  }

  /** The batch goes back to the front, in order; the buffer bound still holds. */
  private retryLater(batch: LogRecord[], error: unknown): void {
    this.queue.unshift(...batch);
    if (this.queue.length > this.config.store.bufferMax) this.drop(this.queue.length - this.config.store.bufferMax);
    // One report per outage, not one per retry.
    if (!this.unavailable) {
      this.unavailable = true;
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.writeLocal('warning', `log store not writable, buffering and retrying: ${reason}`, MODULE);
    }
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.drainSoon();
    }, RETRY_DELAY_MS);
    this.retryTimer.unref();
  }

  /** Retrying rows the database refuses would block every later entry behind them for good. */
  private refuse(batch: LogRecord[], error: unknown): void {
    this.droppedCount += batch.length;
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.writeLocal(
      'warning',
      `${batch.length} log entries refused by the database, not stored: ${reason}`,
      MODULE,
    );
  }

  private drop(count: number): void {
    this.queue.splice(0, count);
    this.droppedCount += count;
    this.droppedUnreported += count;
  }

  private reportDropped(): void {
    if (this.droppedUnreported === 0) return;
    this.logger.writeLocal(
      'warning',
      `${this.droppedUnreported} log entries were not stored: the buffer (LOG_STORE_BUFFER_MAX) was full`,
      MODULE,
    );
    this.droppedUnreported = 0;
  }
}
