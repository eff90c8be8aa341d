/** Raised when more work is waiting than the limiter is allowed to queue. */
export class QueueFullError extends Error {
  constructor() {
    super('concurrency limiter queue is full');
    this.name = 'QueueFullError';
  }
}

/**
 * Runs at most `concurrency` tasks at once and queues at most `maxQueued`
 * more; beyond that it refuses at once, so a flood is shed instead of
 * piling up memory and latency.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueued: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueued) return Promise.reject(new QueueFullError());
    // The slot is handed over by release(), so `running` stays counted.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
