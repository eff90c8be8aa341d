import { Module } from '@nestjs/common';
import { BackupController } from './backup.controller';
import { BackupCoreModule } from './backup-core.module';
import { BackupMetrics } from './backup-metrics';
import { BackupScheduler } from './backup-scheduler.service';
import { RestoreController } from './restore.controller';

/** Backups and restores over HTTP, on schedules, and on /metrics. */
@Module({
  imports: [BackupCoreModule],
  controllers: [BackupController, RestoreController],
  providers: [BackupScheduler, BackupMetrics],
})
export class BackupModule {}
