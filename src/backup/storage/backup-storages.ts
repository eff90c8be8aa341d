import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { backupConfig } from '../../config';
import type { BackupStorage } from './backup-storage';
import { DiskBackupStorage } from './disk-backup-storage';
import { S3BackupStorage } from './s3-backup-storage';

/** The storage new backups go to (the bucket when BACKUP_S3_BUCKET is set, else BACKUP_DIR), and the one each record names. */
@Injectable()
export class BackupStorages {
  private readonly disk: DiskBackupStorage;
  private readonly s3?: S3BackupStorage;

  constructor(@Inject(backupConfig.KEY) config: ConfigType<typeof backupConfig>) {
    this.disk = new DiskBackupStorage(config.dir);
    this.s3 = config.s3 && new S3BackupStorage(config.s3);
  }

  get current(): BackupStorage {
    return this.s3 ?? this.disk;
  }

  /** The storage of a recorded backup; undefined when this instance has no access to it (no bucket configured). */
  of(kind: 'disk' | 's3'): BackupStorage | undefined {
    return kind === 's3' ? this.s3 : this.disk;
  }
}
