import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { InjectRepository } from '@nestjs/typeorm';
import { And, IsNull, LessThan, LessThanOrEqual, MoreThan, Or, Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { secretsConfig } from '../config';
import { JobTicks } from '../database/job-ticks.service';
import { Transactions } from '../database/transactions/transactions.service';
import { Secret } from './entities/secret.entity';
import { isGeneratable } from './secret-value.generator';
import { SecretExpiring, SecretRotationOverdue } from './secrets.events';
import { SecretsService } from './secrets.service';

const DAY_MS = 86_400_000;
const BATCH = 100;

export interface RotationSweep {
  rotated: string[];
  overdue: string[];
  expiring: string[];
}

/**
 * Every minute, once across instances: rotates each active, generatable
 * secret whose next rotation is due; announces the due ones it cannot make
 * (`secret.rotation-overdue`, again daily until written) and those nearing
 * their date (`secret.expiring`, once per rotation period).
 */
@Injectable()
export class SecretsRotationJob {
  private readonly logger = new Logger('Secrets');

  constructor(
    @InjectRepository(Secret) private readonly secrets: Repository<Secret>,
    @Inject(secretsConfig.KEY) private readonly config: ConfigType<typeof secretsConfig>,
    private readonly service: SecretsService,
    private readonly transactions: Transactions,
    private readonly ticks: JobTicks,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  @Cron(CronExpression.EVERY_MINUTE, { name: 'secrets-rotation' })
  async runScheduled(): Promise<RotationSweep | undefined> {
    if (!this.config.rotationEnabled) return undefined;
    try {
      const run = await this.ticks.runOncePerTick('secrets-rotation', () => this.sweep());
      return run.ran ? run.result : undefined;
    } catch (error) {
      this.logger.error(`secret rotation sweep failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  async sweep(): Promise<RotationSweep> {
    const now = this.clock.now();
    const due = await this.secrets.find({
      where: { isActive: true, nextRotationAt: LessThanOrEqual(now) },
      order: { nextRotationAt: 'ASC' },
      take: BATCH,
    });
    const sweep: RotationSweep = { rotated: [], overdue: [], expiring: [] };
    for (const secret of due) {
      if (isGeneratable(secret.type)) {
        if (await this.rotateOne(secret.name)) sweep.rotated.push(secret.name);
      } else if (await this.announceOverdue(secret, now)) {
        sweep.overdue.push(secret.name);
      }
    }
    sweep.expiring = await this.announceExpiring(now);
    return sweep;
  }

  private async rotateOne(name: string): Promise<boolean> {
    try {
      return await this.transactions.run(async () => {
        const secret = await this.service.findForUpdate(name);
        // Another writer may have rotated it since the sweep looked.
        if (!secret.isActive || !secret.nextRotationAt || secret.nextRotationAt > this.clock.now()) return false;
        await this.service.rotateLocked(secret, null);
        return true;
      });
    } catch (error) {
      this.logger.error(`could not rotate ${name}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }

  private async announceOverdue(secret: Secret, now: Date): Promise<boolean> {
    const repeatAfter = new Date(now.getTime() - DAY_MS);
    if (secret.overdueNotifiedAt && secret.overdueNotifiedAt > repeatAfter) return false;
    return this.transactions.run(async () => {
      const claimed = await this.secrets.update(
        { id: secret.id, overdueNotifiedAt: Or(IsNull(), LessThanOrEqual(repeatAfter)) },
        { overdueNotifiedAt: now },
      );
      if (!claimed.affected) return false;
      this.events.publish(
        new SecretRotationOverdue(secret.id, secret.name, secret.currentVersion, secret.nextRotationAt as Date),
      );
      return true;
    });
  }

  private async announceExpiring(now: Date): Promise<string[]> {
    const horizon = new Date(now.getTime() + this.config.expiryWarningDays * DAY_MS);
    const nearing = await this.secrets.find({
      where: { isActive: true, expiringNotifiedAt: IsNull(), nextRotationAt: And(MoreThan(now), LessThan(horizon)) },
      take: BATCH,
    });
    const announced: string[] = [];
    for (const secret of nearing) {
      await this.transactions.run(async () => {
        await this.secrets.update({ id: secret.id }, { expiringNotifiedAt: now });
        this.events.publish(
          new SecretExpiring(
            secret.id,
            secret.name,
            secret.currentVersion,
            secret.nextRotationAt as Date,
            isGeneratable(secret.type),
          ),
        );
      });
      announced.push(secret.name);
    }
    return announced;
  }
}
