import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { backupKeyProvider } from './backup-key.provider';
import { BackupJobs } from './backup-jobs.service';
import { BackupService } from './backup.service';
import { BackupVerifier } from './backup-verifier.service';
import { BackupDatabase } from './engine/backup-database';
import { BackupRecord } from './entities/backup-record.entity';
import { RestoreRecord } from './entities/restore-record.entity';
import { RestoreService } from './restore.service';
import { BackupStorages } from './storage/backup-storages';

/** The engine and its services without HTTP, schedules or metrics: what the command line runs. */
@Module({
  imports: [TypeOrmModule.forFeature([BackupRecord, RestoreRecord])],
  providers: [
    backupKeyProvider,
    BackupStorages,
    BackupDatabase,
    BackupJobs,
    BackupService,
    BackupVerifier,
    RestoreService,
  ],
  exports: [BackupService, BackupVerifier, RestoreService, BackupJobs],
})
export class BackupCoreModule {}
