import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { tokensConfig } from '../../config';
import { JobTicks } from '../../database/job-ticks.service';
import { JwtSigningKeys } from './jwt-signing-keys.service';

/** Hourly, once across instances: a new JWT signing key once the current one is JWT_KEY_ROTATION_DAYS old. */
@Injectable()
export class SigningKeysRotationJob {
  private readonly logger = new Logger('Secrets');

  constructor(
    private readonly keys: JwtSigningKeys,
    private readonly ticks: JobTicks,
    @Inject(tokensConfig.KEY) private readonly config: ConfigType<typeof tokensConfig>,
  ) {}

  @Cron(CronExpression.EVERY_HOUR, { name: 'jwt-signing-key-rotation' })
  async runScheduled(): Promise<string | undefined> {
    if (this.config.algorithm === 'HS256') return undefined;
    try {
      const run = await this.ticks.runOncePerTick('jwt-signing-key-rotation', async () =>
        (await this.keys.rotationDue()) ? this.keys.rotate('schedule') : undefined,
      );
      return run.ran ? run.result : undefined;
    } catch (error) {
      this.logger.error(`JWT signing key rotation failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }
}
