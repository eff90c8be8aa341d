import { BatchQueue, type BatchQueueOptions } from './batch-queue';

interface Harness {
  queue: BatchQueue<number>;
  written: number[][];
  dropped: number[];
  fail: { next: number };
}

function harness(overrides: Partial<BatchQueueOptions<number>> = {}): Harness {
  const written: number[][] = [];
  const dropped: number[] = [];
  const fail = { next: 0 };
  const queue = new BatchQueue<number>({
    bufferMax: 5,
    batchMax: 3,
    flushIntervalMs: 60_000,
    retryDelayMs: 60_000,
    maxAttempts: 2,
    write: (batch) => {
      if (fail.next > 0) {
        fail.next--;
        return Promise.reject(new Error('database away'));
      }
      written.push([...batch]);
      return Promise.resolve();
    },
    onDrop: (count) => dropped.push(count),
    ...overrides,
  });
  return { queue, written, dropped, fail };
}

describe('BatchQueue', () => {
  it('holds records until a batch is full, then writes the batch in one call', async () => {
    const { queue, written } = harness();
    queue.push(1);
    queue.push(2);
    expect(written).toEqual([]);
    queue.push(3);
    await queue.flush();
    expect(written).toEqual([[1, 2, 3]]);
  });

  it('writes what is queued on flush, in batches of at most batchMax', async () => {
    const { queue, written } = harness({ bufferMax: 100 });
    for (let i = 1; i <= 7; i++) queue.push(i);
    await queue.flush();
    expect(written.flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(written.every((batch) => batch.length <= 3)).toBe(true);
  });

  it('drops the oldest record when the buffer is full, and says so', async () => {
    const { queue, written, dropped, fail } = harness({ batchMax: 100 });
    fail.next = 1;
    for (let i = 1; i <= 6; i++) queue.push(i);
    expect(dropped).toEqual([1]);
    await queue.flush();
    // The first flush fails; the records stay for the next attempt.
    expect(queue.size).toBe(5);
    await queue.flush();
    expect(written).toEqual([[2, 3, 4, 5, 6]]);
  });

  it('gives a batch up after maxAttempts failures, so later records still get written', async () => {
    const { queue, written, dropped, fail } = harness();
    fail.next = 2;
    queue.push(1);
    await queue.flush();
    await queue.flush();
    expect(dropped).toEqual([1]);
    queue.push(2);
    await queue.flush();
    expect(written).toEqual([[2]]);
  });

  it('writes the rest at close and leaves no timer behind', async () => {
    const { queue, written } = harness();
    queue.push(1);
    await queue.close();
    expect(written).toEqual([[1]]);
    queue.push(2);
    expect(written).toEqual([[1]]);
  });
});
