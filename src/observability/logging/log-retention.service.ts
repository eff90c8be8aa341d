import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Clock } from '../../common/clock/clock';
import { loggingConfig } from '../../config/logging.config';
import { PartitionMaintenanceService } from '../../database/partition-maintenance.service';
import { APP_LOGS_TABLE } from './log-store.repository';

/**
 * Keeps the log store's monthly partitions: this month's and next month's
 * exist before any entry needs them, and partitions wholly older than
 * LOG_RETENTION_DAYS are dropped. Runs at start and daily, on one instance
 * at a time.
 */
@Injectable()
export class LogRetentionService implements OnModuleInit {
  private readonly logger = new Logger('LogStore');

  constructor(
    private readonly partitions: PartitionMaintenanceService,
    private readonly clock: Clock,
    @Inject(loggingConfig.KEY) private readonly config: ConfigType<typeof loggingConfig>,
  ) {}

  /** The store is attached at bootstrap, after this: its first batch finds its partition. */
  async onModuleInit(): Promise<void> {
    await this.partitions.ensureMonthlyPartitions(APP_LOGS_TABLE, this.clock.now(), 1);
  }

  @Cron(CronExpression.EVERY_DAY_AT_4AM, { name: 'log-retention' })
  async runScheduled(): Promise<void> {
    await this.maintain().catch((error: unknown) => {
      this.logger.error(`log partition upkeep failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** One upkeep pass; returns the partitions dropped, or undefined when another instance holds the job. */
  async maintain(): Promise<string[] | undefined> {
    return this.partitions.maintainRetention(
      'sentinel:log-retention',
      [APP_LOGS_TABLE],
      this.config.retentionDays,
      this.clock.now(),
    );
  }
}
