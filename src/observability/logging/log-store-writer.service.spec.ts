import type { ConfigType } from '@nestjs/config';
import { QueryFailedError } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import type { loggingConfig } from '../../config/logging.config';
import { AppLogger } from './app-logger.service';
import type { LogRecord } from './log-sink.transport';
import type { LogStoreRepository } from './log-store.repository';
import { AppendStore } from '../../database/append-store/append-store.service';
import { BATCH_WINDOW_MS, LogStoreWriter, RETRY_DELAY_MS } from './log-store-writer.service';

type LoggingConfig = ConfigType<typeof loggingConfig>;

/** Records every batch; fails the next `failNext` inserts, and refuses rows whose message says so. */
class FakeRepository implements Pick<LogStoreRepository, 'insert'> {
  readonly batches: string[][] = [];
  failNext = 0;

  insert(records: readonly LogRecord[]): Promise<void> {
    if (records.some((record) => record.message === 'refused')) {
      const driverError = Object.assign(new Error('no partition of relation "app_logs" found for row'), {
        code: '23514',
      });
      return Promise.reject(new QueryFailedError('INSERT', [], driverError));
    }
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('connection refused'));
    }
    this.batches.push(records.map((record) => record.message));
    return Promise.resolve();
  }

  get stored(): string[] {
    return this.batches.flat();
  }
}

function config(store: Partial<LoggingConfig['store']> = {}): LoggingConfig {
  return {
    level: 'critical',
    format: 'json',
    file: undefined,
    retentionDays: 30,
    store: { enabled: true, level: 'info', bufferMax: 100, batchMax: 50, ...store },
  };
}

function record(message: string): LogRecord {
  return { createdAt: new Date(), level: 'info', message, module: 'Spec', traceId: null, context: null };
}

describe('LogStoreWriter', () => {
  let repository: FakeRepository;
  let logger: AppLogger;
  let localReports: string[];

  function writer(store: Partial<LoggingConfig['store']> = {}): LogStoreWriter {
    return new LogStoreWriter(repository as unknown as LogStoreRepository, new AppendStore(), logger, config(store));
  }

  beforeEach(() => {
    jest.useFakeTimers();
    repository = new FakeRepository();
    logger = new AppLogger(config(), new Clock());
    localReports = [];
    jest.spyOn(logger, 'writeLocal').mockImplementation((_level, message) => {
      localReports.push(message);
    });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes the entries of one batch window in one insert', async () => {
    const subject = writer();
    for (const message of ['a', 'b', 'c']) subject.accept(record(message));
    expect(repository.batches).toEqual([]);
    await jest.advanceTimersByTimeAsync(BATCH_WINDOW_MS);
    expect(repository.batches).toEqual([['a', 'b', 'c']]);
  });

  it('splits a long queue into batches of LOG_STORE_BATCH_MAX', async () => {
    const subject = writer({ batchMax: 2 });
    for (const message of ['a', 'b', 'c', 'd', 'e']) subject.accept(record(message));
    await subject.flush();
    expect(repository.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('bounds its buffer: the oldest entries are dropped and counted', async () => {
    const subject = writer({ bufferMax: 3, batchMax: 10 });
    for (const message of ['a', 'b', 'c', 'd', 'e']) subject.accept(record(message));
    expect(subject.dropped).toBe(2);
    await subject.flush();
    expect(repository.stored).toEqual(['c', 'd', 'e']);
  });

  it('keeps a failed batch, in order, and retries it after a growing pause; the outage is reported once, locally', async () => {
    const subject = writer();
    repository.failNext = 2;
    subject.accept(record('a'));
    subject.accept(record('b'));
    await subject.flush();
    expect(repository.stored).toEqual([]);
    subject.accept(record('c'));
    await jest.advanceTimersByTimeAsync(RETRY_DELAY_MS);
    expect(repository.stored).toEqual([]);
    await jest.advanceTimersByTimeAsync(2 * RETRY_DELAY_MS);
    expect(repository.stored).toEqual(['a', 'b', 'c']);
    expect(localReports).toEqual([
      expect.stringContaining('log store: writes failing, 2 rows held and retried: connection refused'),
      'log store: writes succeed again',
    ]);
  });

  it('stores the rest of a batch the database refuses one entry of, and never retries that entry', async () => {
    const subject = writer({ batchMax: 2 });
    for (const message of ['a', 'refused', 'c']) subject.accept(record(message));
    await subject.flush();
    expect(repository.stored).toEqual(['a', 'c']);
    expect(subject.dropped).toBe(1);
    expect(localReports).toEqual([
      expect.stringContaining('log store: a row was refused by the database (SQLSTATE 23514)'),
    ]);
  });

  it('still bounds the buffer while the database is down', async () => {
    const subject = writer({ bufferMax: 3, batchMax: 2 });
    repository.failNext = 1;
    subject.accept(record('a'));
    subject.accept(record('b'));
    await jest.advanceTimersByTimeAsync(0);
    for (const message of ['c', 'd', 'e']) subject.accept(record(message));
    await jest.advanceTimersByTimeAsync(RETRY_DELAY_MS);
    await subject.flush();
    expect(repository.stored).toEqual(['c', 'd', 'e']);
    expect(subject.dropped).toBe(2);
  });

  it('attaches itself to the logger at bootstrap, unless the store is disabled', () => {
    const attach = jest.spyOn(logger, 'attachSink');
    writer().onApplicationBootstrap();
    expect(attach).toHaveBeenCalledTimes(1);
    writer({ enabled: false }).onApplicationBootstrap();
    expect(attach).toHaveBeenCalledTimes(1);
  });

  it('detaches and writes what is queued at shutdown, without waiting for the batch window', async () => {
    const subject = writer();
    const detach = jest.spyOn(logger, 'detachSink');
    subject.accept(record('last words'));
    await subject.onApplicationShutdown();
    expect(detach).toHaveBeenCalledWith(subject);
    expect(repository.stored).toEqual(['last words']);
  });

  it('reports locally what it could not write before shutdown, and leaves no retry behind', async () => {
    const subject = writer();
    repository.failNext = 10;
    subject.accept(record('a'));
    await subject.onApplicationShutdown();
    expect(localReports.at(-1)).toBe('log store: 1 rows could not be written before shutdown');
    // One last attempt at shutdown, and no retry against the closed database afterwards.
    await jest.advanceTimersByTimeAsync(10 * RETRY_DELAY_MS);
    expect(repository.failNext).toBe(9);
  });
});
