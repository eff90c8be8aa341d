import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { JobTicks } from '../../database/job-ticks.service';
import { PostgresThrottlerStorage } from './postgres-throttler.storage';

/** Removes ended rate-limit windows from PostgreSQL, on one instance per tick. */
@Injectable()
export class RateLimitCleanup {
  private readonly logger = new Logger('RateLimit');

  constructor(
    private readonly ticks: JobTicks,
    private readonly storage: PostgresThrottlerStorage,
  ) {}

  @Cron(CronExpression.EVERY_5_MINUTES, { name: 'rate-limit-cleanup' })
  async removeExpired(): Promise<void> {
    try {
      await this.ticks.runOncePerTick('rate-limit-cleanup', () => this.storage.removeExpired());
    } catch (error) {
      this.logger.warn(`rate-limit cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
