import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../common/errors/domain.exception';

export enum BackupErrorCode {
  NotFound = 'BACKUP_NOT_FOUND',
  RestoreNotFound = 'RESTORE_NOT_FOUND',
  Busy = 'BACKUP_BUSY',
  NotRestorable = 'BACKUP_NOT_RESTORABLE',
  SchemaNewer = 'BACKUP_SCHEMA_NEWER',
  UnknownTable = 'BACKUP_UNKNOWN_TABLE',
  PointInTimeNotCovered = 'BACKUP_POINT_IN_TIME_NOT_COVERED',
  RestoreNotRunning = 'RESTORE_NOT_RUNNING',
  Unreadable = 'BACKUP_UNREADABLE',
}

const OUTCOMES: Record<BackupErrorCode, ErrorOutcome> = {
  [BackupErrorCode.NotFound]: [HttpStatus.NOT_FOUND, 'Backup not found'],
  [BackupErrorCode.RestoreNotFound]: [HttpStatus.NOT_FOUND, 'Restore not found'],
  [BackupErrorCode.Busy]: [HttpStatus.CONFLICT, 'Another backup, restore or cleanup is running; retry when it is done'],
  [BackupErrorCode.NotRestorable]: [HttpStatus.CONFLICT, 'This backup is not completed, or its file is gone'],
  [BackupErrorCode.SchemaNewer]: [
    HttpStatus.CONFLICT,
    'The backup was taken by a newer Sentinel (its schema has migrations this one lacks): upgrade first',
  ],
  [BackupErrorCode.UnknownTable]: [HttpStatus.BAD_REQUEST, 'The backup has no such table'],
  [BackupErrorCode.PointInTimeNotCovered]: [
    HttpStatus.BAD_REQUEST,
    'The backup chain does not reach back to that point in time',
  ],
  [BackupErrorCode.RestoreNotRunning]: [HttpStatus.CONFLICT, 'The restore is no longer running'],
  [BackupErrorCode.Unreadable]: [HttpStatus.CONFLICT, 'The backup file cannot be read'],
};

export class BackupException extends DomainException<BackupErrorCode> {
  constructor(code: BackupErrorCode, detail?: string) {
    super(code, OUTCOMES, detail);
  }
}
