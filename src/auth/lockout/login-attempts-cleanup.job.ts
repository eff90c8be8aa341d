import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Clock } from '../../common/clock/clock';
import { JobTicks } from '../../database/job-ticks.service';
import { LoginAttemptsRepository } from './login-attempts.repository';

const CLEANUP_JOB = 'login-attempts-cleanup';

/** Every hour, on one instance per tick, forgets the lockout counts whose window has passed. */
@Injectable()
export class LoginAttemptsCleanup {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly attempts: LoginAttemptsRepository,
    private readonly ticks: JobTicks,
    private readonly clock: Clock,
  ) {}

  @Cron(CronExpression.EVERY_HOUR, { name: CLEANUP_JOB })
  async run(): Promise<void> {
    try {
      await this.ticks.runOncePerTick(CLEANUP_JOB, () => this.attempts.forgetFinished(this.clock.now()));
    } catch (error) {
      this.logger.warn(`login attempts cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
