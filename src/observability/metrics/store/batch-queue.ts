export interface BatchQueueOptions<T> {
  /** Records held at most; beyond it the oldest is dropped. */
  bufferMax: number;
  /** Records written by one statement at most; a full batch is written at once. */
  batchMax: number;
  /** How long a record may wait for its batch to fill before it is written anyway. */
  flushIntervalMs: number;
  /** How long to wait before trying a failed batch again. */
  retryDelayMs: number;
  /** Consecutive failures after which a batch is given up, so that one bad batch cannot block the rest. */
  maxAttempts: number;
  write: (batch: T[]) => Promise<void>;
  /** Told of records given up: dropped for space, or whose batch failed maxAttempts times. */
  onDrop: (count: number, error?: unknown) => void;
}

/**
 * Collects records and writes them in batches, off the request path: a
 * batch goes when it is full or when its first record has waited
 * flushIntervalMs, so a busy instance makes one insert per batch, not one per
 * record. The buffer is bounded: when the database is slow or away, the
 * oldest records are dropped and counted rather than memory growing.
 */
export class BatchQueue<T> {
  private queue: T[] = [];
  private writing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private closed = false;

  constructor(private readonly options: BatchQueueOptions<T>) {}

  get size(): number {
    return this.queue.length;
  }

  push(record: T): void {
    if (this.queue.length >= this.options.bufferMax) {
      this.queue.shift();
      this.options.onDrop(1);
    }
    this.queue.push(record);
    if (this.queue.length >= this.options.batchMax) this.writeSoon();
    else this.schedule(this.options.flushIntervalMs);
  }

  /** Writes everything queued now, including a batch already being written; a failing batch ends the attempt. */
  async flush(): Promise<void> {
    this.cancelTimer();
    let failuresBefore = this.failures;
    do {
      this.writeSoon();
      await this.writing;
      if (this.failures > failuresBefore) return;
      failuresBefore = this.failures;
    } while (this.queue.length > 0);
  }

  /** At shutdown: one last flush, and no timer left behind. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    this.cancelTimer();
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.writing || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writeSoon();
    }, delayMs);
    // A pending batch must not keep the process alive; shutdown flushes it.
    this.timer.unref();
  }

  private cancelTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private writeSoon(): void {
    if (this.writing || this.queue.length === 0) return;
    this.cancelTimer();
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
      if (this.queue.length === 0) return;
      if (this.failures > 0) this.schedule(this.options.retryDelayMs);
      else if (this.queue.length >= this.options.batchMax) this.writeSoon();
      else this.schedule(this.options.flushIntervalMs);
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.batchMax);
      try {
        await this.options.write(batch);
        this.failures = 0;
      } catch (error) {
        this.failed(batch, error);
        return;
      }
    }
  }

  private failed(batch: T[], error: unknown): void {
    this.failures++;
    if (this.failures >= this.options.maxAttempts) {
      this.failures = 0;
      this.options.onDrop(batch.length, error);
      return;
    }
    // Back to the front, in order; records that arrived meanwhile may push the oldest out.
    this.queue.unshift(...batch);
    const excess = this.queue.length - this.options.bufferMax;
    if (excess > 0) {
      this.queue.splice(0, excess);
      this.options.onDrop(excess);
    }
  }
}
