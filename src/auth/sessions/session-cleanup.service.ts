import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { JobTicks } from '../../database/job-ticks.service';
import { SessionService } from './session.service';

const CLEANUP_JOB = 'session-cleanup';

/** Removes revoked, expired and idle sessions every hour, on one instance per tick. */
@Injectable()
export class SessionCleanup {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly sessions: SessionService,
    private readonly ticks: JobTicks,
  ) {}

  @Cron(CronExpression.EVERY_HOUR, { name: CLEANUP_JOB })
  async run(): Promise<void> {
    try {
      await this.ticks.runOncePerTick(CLEANUP_JOB, () => this.sessions.removeFinished());
    } catch (error) {
      this.logger.warn(`session cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
