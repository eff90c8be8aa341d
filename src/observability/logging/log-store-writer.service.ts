import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { loggingConfig, type LogLevel } from '../../config/logging.config';
import type { AppendQueue } from '../../database/append-store/append-queue';
import { AppendStore } from '../../database/append-store/append-store.service';
import { AppLogger } from './app-logger.service';
import type { LogRecord, LogSink } from './log-sink.transport';
import { LogStoreRepository } from './log-store.repository';

/** Entries logged within this window share one insert. */
export const BATCH_WINDOW_MS = 200;
export const RETRY_DELAY_MS = 1000;
const MODULE = 'LogStore';

/**
 * Copies log entries at LOG_STORE_LEVEL and above into PostgreSQL through
 * the shared append store: batched, bounded (beyond LOG_STORE_BUFFER_MAX the
 * oldest entry is dropped and counted), a refused entry isolated and dropped
 * rather than retried. The queue reports its own trouble with
 * AppLogger.writeLocal (stdout and file only), so a failing store never logs
 * into itself.
 *
 * Entries logged while the app starts, before the store is attached at
 * bootstrap (Nest's module and route messages), are not stored: they are on
 * stdout and in the file.
 */
@Injectable()
export class LogStoreWriter implements LogSink, OnApplicationBootstrap, OnApplicationShutdown {
  readonly level: LogLevel;
  private readonly queue: AppendQueue<LogRecord>;

  constructor(
    repository: LogStoreRepository,
    store: AppendStore,
    private readonly logger: AppLogger,
    @Inject(loggingConfig.KEY) private readonly config: ConfigType<typeof loggingConfig>,
  ) {
    this.level = config.store.level;
    this.queue = store.createQueue(
      { name: 'app_logs', insert: (records) => repository.insert(records) },
      {
        bufferMax: config.store.bufferMax,
        batchMax: config.store.batchMax,
        flushIntervalMs: BATCH_WINDOW_MS,
        retryDelayMs: RETRY_DELAY_MS,
        whenFull: 'drop-oldest',
        report: (level, message) => {
          this.logger.writeLocal(level, `log store: ${message}`, MODULE);
        },
      },
    );
  }

  /** Entries not stored: dropped from a full buffer, or refused by the database. */
  get dropped(): number {
    const { dropped, refused } = this.queue.stats;
    return dropped + refused;
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
    await this.queue.close();
  }

  accept(record: LogRecord): void {
    void this.queue.push(record);
  }

  /** Writes everything queued now (stops early while the database is down). */
  flush(): Promise<void> {
    return this.queue.flush();
  }
}
