import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { Clock } from '../common/clock/clock';
import { securityMonitorConfig } from '../config';
import { JobTicks } from '../database/job-ticks.service';
import { PartitionMaintenanceService } from '../database/partition-maintenance.service';
import { WindowStore } from './detection/window-store';
import { SECURITY_EVENTS_TABLE } from './events/security-event-store';

const SWEEP_JOB = 'security-monitor-sweep';
/** The longest window a policy may have (PolicyConfig allows one day). */
const LONGEST_WINDOW_MS = 86_400_000;

/**
 * Retention of security events (SECURITY_EVENT_RETENTION_DAYS, whole monthly
 * partitions, by the shared partition upkeep) and a sweep of window signals
 * no window can reach any more, on one instance at a time.
 */
@Injectable()
export class SecurityMonitorUpkeep implements OnModuleInit {
  private readonly logger = new Logger('SecurityMonitor');

  constructor(
    private readonly partitions: PartitionMaintenanceService,
    private readonly ticks: JobTicks,
    private readonly windows: WindowStore,
    private readonly clock: Clock,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  onModuleInit(): void {
    this.partitions.register({
      table: SECURITY_EVENTS_TABLE,
      timeColumn: 'created_at',
      retentionDays: this.config.eventRetentionDays,
    });
  }

  @Cron(CronExpression.EVERY_10_MINUTES, { name: 'security-monitor-sweep' })
  async sweep(): Promise<void> {
    try {
      await this.ticks.runOncePerTick(SWEEP_JOB, () =>
        this.windows.sweep(new Date(this.clock.now().getTime() - LONGEST_WINDOW_MS)),
      );
    } catch (error) {
      this.logger.warn(`window sweep failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
