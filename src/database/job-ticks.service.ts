import { hostname } from 'node:os';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';

const MINUTE_MS = 60_000;
/** Claims older than this are pruned as new ones are made. */
const KEPT_DAYS = 30;

export type TickRun<T> = { ran: true; result: T } | { ran: false };

/**
 * Exactly once per tick, cluster-wide, for scheduled jobs. Every instance's
 * cron fires at (about) the same minute; the first to claim the job's tick in
 * job_runs runs it, the others skip it, and so does an instance that reaches
 * the tick late (a slower clock, a restart), which an advisory lock alone would
 * let run again once the first had finished. A tick is the scheduled minute:
 * now rounded to the nearest minute, so clocks up to half a minute apart agree.
 */
@Injectable()
export class JobTicks {
  private readonly logger = new Logger('Jobs');
  private readonly instance = `${hostname()}:${process.pid}`;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** The tick a job firing now belongs to. */
  currentTick(): Date {
    return new Date(Math.round(this.clock.now().getTime() / MINUTE_MS) * MINUTE_MS);
  }

  async runOncePerTick<T>(job: string, work: () => Promise<T>, tick = this.currentTick()): Promise<TickRun<T>> {
    const claimed = await this.dataSource.query<unknown[]>(
      `INSERT INTO job_runs (job, tick, instance) VALUES ($1, $2, $3) ON CONFLICT (job, tick) DO NOTHING RETURNING 1`,
      [job, tick, this.instance],
    );
    if (claimed.length === 0) return { ran: false };
    let outcome: 'succeeded' | 'failed' = 'failed';
    try {
      const result = await work();
      outcome = 'succeeded';
      return { ran: true, result };
    } finally {
      await this.finish(job, tick, outcome);
    }
  }

  private async finish(job: string, tick: Date, outcome: 'succeeded' | 'failed'): Promise<void> {
    try {
      await this.dataSource.query(
        'UPDATE job_runs SET finished_at = now(), outcome = $3 WHERE job = $1 AND tick = $2',
        [job, tick, outcome],
      );
      await this.dataSource.query(
        `DELETE FROM job_runs WHERE job = $1 AND tick < $2::timestamptz - interval '${KEPT_DAYS} days'`,
        [job, tick],
      );
    } catch (error) {
      this.logger.warn(`could not record the end of ${job}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
