import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { loggingConfig } from '../../config/logging.config';
import { PartitionMaintenanceService } from '../../database/partition-maintenance.service';
import { APP_LOGS_TABLE } from './log-store.repository';

/** The log store's retention: partitions wholly older than LOG_RETENTION_DAYS go, by the shared partition upkeep. */
@Injectable()
export class LogRetention implements OnModuleInit {
  constructor(
    private readonly partitions: PartitionMaintenanceService,
    @Inject(loggingConfig.KEY) private readonly config: ConfigType<typeof loggingConfig>,
  ) {}

  onModuleInit(): void {
    this.partitions.register({
      table: APP_LOGS_TABLE,
      timeColumn: 'created_at',
      retentionDays: this.config.retentionDays,
    });
  }
}
