import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { metricsConfig } from '../../../config';
import { PartitionMaintenanceService } from '../../../database/partition-maintenance.service';
import { METRIC_TABLES } from './metrics-store';

/** The stored metrics' retention: partitions wholly older than METRICS_RETENTION_DAYS go, by the shared upkeep. */
@Injectable()
export class MetricsRetention implements OnModuleInit {
  constructor(
    private readonly partitions: PartitionMaintenanceService,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  onModuleInit(): void {
    for (const table of METRIC_TABLES) {
      this.partitions.register({ table, timeColumn: 'recorded_at', retentionDays: this.config.retentionDays });
    }
  }
}
