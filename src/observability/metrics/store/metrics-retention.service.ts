import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Clock } from '../../../common/clock/clock';
import { metricsConfig } from '../../../config';
import { PartitionMaintenanceService } from '../../../database/partition-maintenance.service';
import { METRIC_TABLES } from './metrics-store';

/**
 * Keeps the metric tables' monthly partitions: this month's and next month's
 * exist before any record needs them, and partitions wholly older than
 * METRICS_RETENTION_DAYS are dropped. Runs at start and daily, on one
 * instance at a time.
 */
@Injectable()
export class MetricsRetentionService implements OnModuleInit {
  private readonly logger = new Logger('Metrics');

  constructor(
    private readonly partitions: PartitionMaintenanceService,
    private readonly clock: Clock,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  /** Partitions must exist before the first request is recorded, so start-up waits for them. */
  async onModuleInit(): Promise<void> {
    for (const table of METRIC_TABLES) await this.partitions.ensureMonthlyPartitions(table, this.clock.now(), 1);
  }

  @Cron(CronExpression.EVERY_DAY_AT_3AM, { name: 'metrics-retention' })
  async runScheduled(): Promise<void> {
    await this.maintain().catch((error: unknown) => {
      this.logger.error(`metrics partition upkeep failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** One upkeep pass; returns the partitions dropped, or undefined when another instance holds the job. */
  async maintain(): Promise<string[] | undefined> {
    return this.partitions.maintainRetention(
      'sentinel:metrics-retention',
      METRIC_TABLES,
      this.config.retentionDays,
      this.clock.now(),
    );
  }
}
