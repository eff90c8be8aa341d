import { QueryFailedError } from 'typeorm';
import { AppendQueue, type AppendQueueOptions } from './append-queue';

/** A target that records every insert; rows named `bad` are refused for their data, and `failNext` inserts fail outright. */
class RecordingTarget {
  readonly name = 'spec';
  readonly inserts: string[][] = [];
  failNext = 0;

  insert(rows: readonly string[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('connection refused'));
    }
    if (rows.some((row) => row.startsWith('bad'))) {
      return Promise.reject(
        new QueryFailedError('INSERT', [], Object.assign(new Error('invalid byte'), { code: '22021' })),
      );
    }
    this.inserts.push([...rows]);
    return Promise.resolve();
  }

  get stored(): string[] {
    return this.inserts.flat();
  }
}

describe('AppendQueue', () => {
  let target: RecordingTarget;
  let reports: string[];

  const queue = (
    options: Partial<AppendQueueOptions> = {},
    placeholder?: (row: string) => string,
  ): AppendQueue<string> =>
    new AppendQueue<string>(
      { name: target.name, insert: (rows) => target.insert(rows), ...(placeholder ? { placeholder } : {}) },
      {
        bufferMax: 5,
        batchMax: 3,
        flushIntervalMs: 1000,
        retryDelayMs: 1000,
        whenFull: 'drop-oldest',
        report: (_level, message) => reports.push(message),
        ...options,
      },
    );

  beforeEach(() => {
    jest.useFakeTimers();
    target = new RecordingTarget();
    reports = [];
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('holds rows for the flush interval, and writes a full batch at once in one statement', async () => {
    const subject = queue();
    await subject.push('a');
    await subject.push('b');
    await Promise.resolve();
    expect(target.inserts).toEqual([]);
    await subject.push('c');
    await jest.advanceTimersByTimeAsync(0);
    expect(target.inserts).toEqual([['a', 'b', 'c']]);
    await subject.push('d');
    await jest.advanceTimersByTimeAsync(1000);
    expect(target.inserts).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('isolates a row the database refuses for its data: the others are written, the row stood in for, never retried', async () => {
    const subject = queue({ batchMax: 10 }, (row) => `placeholder-of-${row}`);
    for (const row of ['a', 'b', 'bad-1', 'c', 'd']) await subject.push(row);
    await subject.flush();
    expect(target.stored.sort()).toEqual(['a', 'b', 'c', 'd', 'placeholder-of-bad-1']);
    expect(subject.stats).toEqual(expect.objectContaining({ queued: 0, written: 4, refused: 1, failingSince: null }));
    await subject.push('e');
    await subject.flush();
    expect(target.stored).toContain('e');
  });

  it('drops a refused row where the target keeps no placeholder, and says so', async () => {
    const subject = queue();
    for (const row of ['a', 'bad-1', 'c']) await subject.push(row);
    await subject.flush();
    expect(target.stored).toEqual(['a', 'c']);
    expect(subject.stats.refused).toBe(1);
    expect(reports).toEqual([expect.stringContaining('SQLSTATE 22021) and dropped')]);
  });

  it('keeps rows in order through an outage and retries with a growing pause; the outage is reported once', async () => {
    const subject = queue();
    target.failNext = 2;
    await subject.push('a');
    await subject.push('b');
    await subject.flush();
    expect(subject.stats.failingSince).not.toBeNull();
    expect(subject.saturated).toBe(true);
    await jest.advanceTimersByTimeAsync(1000);
    expect(target.stored).toEqual([]);
    await jest.advanceTimersByTimeAsync(1999);
    expect(target.stored).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(target.stored).toEqual(['a', 'b']);
    expect(reports).toEqual([expect.stringContaining('writes failing, 2 rows held'), 'writes succeed again']);
    expect(subject.saturated).toBe(false);
  });

  it('drop-oldest: a full buffer drops its oldest row not being written, and counts it', async () => {
    const subject = queue({ bufferMax: 3, batchMax: 10 });
    for (const row of ['a', 'b', 'c', 'd', 'e']) await subject.push(row);
    expect(subject.stats.dropped).toBe(2);
    await subject.flush();
    expect(target.stored).toEqual(['c', 'd', 'e']);
  });

  it('wait: a full buffer makes the caller wait for room instead of losing a row', async () => {
    const subject = queue({ bufferMax: 2, batchMax: 10, whenFull: 'wait' });
    target.failNext = 1;
    await subject.push('a');
    await subject.push('b');
    let thirdQueued = false;
    const third = subject.push('c').then(() => {
      thirdQueued = true;
    });
    await jest.advanceTimersByTimeAsync(1000);
    expect(thirdQueued).toBe(false);
    expect(subject.stats.waiting).toBe(1);
    await jest.advanceTimersByTimeAsync(1000);
    await third;
    await subject.flush();
    expect(target.stored).toEqual(['a', 'b', 'c']);
    expect(subject.stats.dropped).toBe(0);
  });

  it('append resolves once the row is written', async () => {
    const subject = queue();
    let written = false;
    const appended = subject.append('a').then(() => {
      written = true;
    });
    await jest.advanceTimersByTimeAsync(999);
    expect(written).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await appended;
    expect(target.stored).toEqual(['a']);
  });

  it('writes what is queued at close and leaves no timer behind', async () => {
    const subject = queue();
    await subject.push('last');
    await subject.close();
    expect(target.stored).toEqual(['last']);
    expect(jest.getTimerCount()).toBe(0);
  });
});
