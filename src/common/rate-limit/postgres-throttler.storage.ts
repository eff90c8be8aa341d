import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import { Clock } from '../clock/clock';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The hits gathered while the previous statement ran, as ONE atomic upsert:
 * each (key, window) row gains its hits under its row lock, so counts are
 * exact for the whole cluster. Rows are taken in key order, the same on every
 * instance, so two instances' statements cannot deadlock on each other's rows.
 */
const HITS = `
  INSERT INTO rate_limit_hits AS counter (key, window_start, expires_at, hits)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::integer[]) AS hit(key, window_start, expires_at, hits)
   ORDER BY hit.key, hit.window_start
  ON CONFLICT (key, window_start) DO UPDATE SET hits = counter.hits + EXCLUDED.hits
  RETURNING counter.key, counter.window_start, counter.hits`;

interface Hit {
  now: number;
  limit: number;
  resolve: (record: ThrottlerStorageRecord) => void;
  reject: (error: unknown) => void;
}

/** The hits on one key in one window, in the order they came. */
interface WindowHits {
  key: string;
  start: number;
  ttl: number;
  hits: Hit[];
}

interface CountedRow {
  key: string;
  window_start: Date;
  hits: number;
}

/**
 * Rate-limit counters in PostgreSQL (UNLOGGED table rate_limit_hits), for
 * clusters without Redis: fixed windows aligned on the epoch, so every
 * instance counts into the same row. Instances whose clocks differ by d ms
 * disagree about which window a hit belongs to only for d ms around a
 * boundary. Ended windows are removed by RateLimitCleanup.
 *
 * Hits are group-committed: while one statement is in flight the next hits
 * wait and go together in the following one, so a loaded instance spends one
 * statement on many requests instead of one each. The n hits a key gained in
 * one statement take the last n counts in their order: the first of them
 * past the limit is refused exactly as if each had run alone.
 */
@Injectable()
export class PostgresThrottlerStorage implements ThrottlerStorage {
  private waiting = new Map<string, WindowHits>();
  private inFlight = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** `ttl` is the window in ms; a key over `limit` stays refused until its window ends (blockDuration = ttl). */
  increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const now = this.clock.now().getTime();
    const start = now - (now % ttl);
    return new Promise((resolve, reject) => {
      const id = `${key}\u0000${start}`;
      const window = this.waiting.get(id) ?? { key, start, ttl, hits: [] };
      window.hits.push({ now, limit, resolve, reject });
      this.waiting.set(id, window);
      if (!this.inFlight) void this.flush();
    });
  }

  /** Drops the windows that have ended; returns how many. */
  async removeExpired(): Promise<number> {
    const [, removed] = await this.dataSource.query<[unknown, number]>(
      'DELETE FROM rate_limit_hits WHERE expires_at < $1',
      [this.clock.now()],
    );
    return removed;
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    // Hits of the same turn of the event loop join this statement.
    await new Promise<void>((resolve) => {
      setImmediate(resolve);
    });
    const windows = [...this.waiting.values()];
    this.waiting = new Map();
    try {
      const rows = await this.dataSource.query<CountedRow[]>(HITS, [
        windows.map((window) => window.key),
        windows.map((window) => new Date(window.start)),
        windows.map((window) => new Date(window.start + window.ttl)),
        windows.map((window) => window.hits.length),
      ]);
      const totals = new Map(rows.map((row) => [`${row.key}\u0000${row.window_start.getTime()}`, row.hits]));
      for (const window of windows) settle(window, totals.get(`${window.key}\u0000${window.start}`));
    } catch (error) {
      for (const window of windows) for (const hit of window.hits) hit.reject(error);
    } finally {
      this.inFlight = false;
      if (this.waiting.size > 0) void this.flush();
    }
  }
}

function settle(window: WindowHits, total: number | undefined): void {
  if (total === undefined) {
    for (const hit of window.hits) hit.reject(new Error('no count came back for a rate-limit key'));
    return;
  }
  const first = total - window.hits.length + 1;
  window.hits.forEach((hit, index) => {
    const totalHits = first + index;
    const secondsLeft = Math.max(1, Math.ceil((window.start + window.ttl - hit.now) / 1000));
    const isBlocked = totalHits > hit.limit;
    hit.resolve({ totalHits, timeToExpire: secondsLeft, isBlocked, timeToBlockExpire: isBlocked ? secondsLeft : 0 });
  });
}
