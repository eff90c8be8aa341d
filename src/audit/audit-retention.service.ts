import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Clock } from '../common/clock/clock';
import { auditConfig } from '../config';
import { PartitionMaintenanceService } from '../database/partition-maintenance.service';
import { AuditService } from './audit.service';

export const AUDIT_TABLE = 'audit_logs';

/**
 * Keeps the audit table's monthly partitions: this month's and next month's
 * exist before any row needs them, and partitions wholly older than
 * SECURITY_AUDIT_RETENTION_DAYS are dropped. Runs at start and daily, on one
 * instance at a time.
 */
@Injectable()
export class AuditRetentionService implements OnModuleInit {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly partitions: PartitionMaintenanceService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {}

  /** Partitions must exist before the first request is recorded, so start-up waits for them. */
  async onModuleInit(): Promise<void> {
    await this.partitions.ensureMonthlyPartitions(AUDIT_TABLE, this.clock.now(), 1);
  }

  @Cron(CronExpression.EVERY_DAY_AT_3AM, { name: 'audit-retention' })
  async runScheduled(): Promise<void> {
    await this.maintain().catch((error: unknown) => {
      this.logger.error(`audit partition upkeep failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** One upkeep pass; returns the partitions dropped, or undefined when another instance holds the job. */
  async maintain(): Promise<string[] | undefined> {
    const dropped = await this.partitions.maintainRetention(
      'sentinel:audit-retention',
      [AUDIT_TABLE],
      this.config.retentionDays,
      this.clock.now(),
    );
    if (dropped?.length) {
      await this.audit.recordSystemAction({
        action: 'audit.retention.dropped',
        resourceType: 'audit-partition',
        details: { partitions: dropped, retentionDays: this.config.retentionDays },
      });
    }
    return dropped;
  }
}
