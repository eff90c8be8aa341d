import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { auditConfig } from '../config';
import type { AuditEntry } from './audit-entry';
import { AuditChainRepository } from './audit-chain.repository';

interface Pending {
  entry: AuditEntry;
  /** Present when a caller waits for the record to be committed. */
  settle?: { resolve: () => void; reject: (error: unknown) => void };
}

const RETRY_DELAY_MS = 1000;

/**
 * Batches audit records. A durable write (state-changing requests, system
 * actions) resolves only once its batch is committed; requests arriving
 * while a batch commits share the next one (group commit). Other records are
 * queued in a bounded buffer and retried until the database takes them.
 */
@Injectable()
export class AuditWriter implements OnApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private queue: Pending[] = [];
  private draining?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  /** Records that could not be kept: buffer overflow, or failed durable writes in fail-open mode. */
  private lostCount = 0;

  constructor(
    private readonly chain: AuditChainRepository,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {}

  get lost(): number {
    return this.lostCount;
  }

  /** Counts a record that fail-open mode let go unwritten. */
  countLost(): void {
    this.lostCount++;
  }

  /** Resolves once the record is committed; rejects if the database refused the batch. */
  writeDurably(entry: AuditEntry): Promise<void> {
    const committed = new Promise<void>((resolve, reject) => {
      this.queue.push({ entry, settle: { resolve, reject } });
    });
    // A waiting caller is not held back by the retry pause of buffered records: try at once.
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.drainSoon();
    return committed;
  }

  /** Queues the record for a later batch; beyond AUDIT_BUFFER_MAX queued records, the oldest is dropped and counted. */
  enqueue(entry: AuditEntry): void {
    if (this.queue.length >= this.config.bufferMax) {
      const index = this.queue.findIndex((pending) => !pending.settle);
      if (index >= 0) this.queue.splice(index, 1);
      this.lostCount++;
    }
    this.queue.push({ entry });
    this.drainSoon();
  }

  /** Writes everything queued, including a batch already being written; used at shutdown and by tests. */
  async flush(): Promise<void> {
    do {
      this.drainSoon();
      await this.draining;
    } while (this.queue.length > 0 && !this.retryTimer);
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.flush();
    if (this.queue.length > 0)
      this.logger.error(`${this.queue.length} audit records could not be written before shutdown`);
  }

  private drainSoon(): void {
    if (this.draining || this.retryTimer) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.config.batchMax);
      try {
        await this.chain.append(batch.map((pending) => pending.entry));
        for (const pending of batch) pending.settle?.resolve();
      } catch (error) {
        this.failBatch(batch, error);
        return;
      }
    }
  }

  /** Waiting writers learn of the failure at once; queued reads go back to the front and are retried. */
  private failBatch(batch: Pending[], error: unknown): void {
    this.logger.warn(
      `audit batch of ${batch.length} not written: ${error instanceof Error ? error.message : String(error)}`,
    );
    const retried = batch.filter((pending) => !pending.settle);
    for (const pending of batch) pending.settle?.reject(error);
    this.queue.unshift(...retried);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.drainSoon();
    }, RETRY_DELAY_MS);
    this.retryTimer.unref();
  }
}
