import type { BackupType } from './engine/backup-manifest';

/**
 * Domain events of the backup module. They name backups and restores by id;
 * they never carry a key, a file's content or a row of data.
 */
export const BackupEvent = {
  Completed: 'backup.completed',
  Failed: 'backup.failed',
  Stale: 'backup.stale',
  Verified: 'backup.verified',
  RestoreCompleted: 'restore.completed',
  RestoreFailed: 'restore.failed',
} as const;

/** Who started the work: a caller of the API (their user id), the command line, or a schedule. */
export type BackupInitiator = { kind: 'user'; userId: string } | { kind: 'cli' } | { kind: 'schedule' };

export class BackupCompletedEvent {
  static readonly eventName = BackupEvent.Completed;
  constructor(
    readonly backupId: string,
    readonly type: BackupType,
    readonly sizeBytes: number,
    readonly initiator: BackupInitiator,
  ) {}
}

export class BackupFailedEvent {
  static readonly eventName = BackupEvent.Failed;
  constructor(
    readonly backupId: string,
    readonly type: BackupType,
    readonly error: string,
    readonly initiator: BackupInitiator,
  ) {}
}

/** The newest verified backup is older than BACKUP_MAX_AGE_HOURS (or there is none). */
export class BackupStaleEvent {
  static readonly eventName = BackupEvent.Stale;
  constructor(
    readonly newestVerifiedAt: Date | null,
    readonly maxAgeHours: number,
  ) {}
}

export class BackupVerifiedEvent {
  static readonly eventName = BackupEvent.Verified;
  constructor(
    readonly backupId: string,
    readonly ok: boolean,
    readonly restoreTest: boolean,
    readonly error: string | undefined,
  ) {}
}

export class RestoreCompletedEvent {
  static readonly eventName = BackupEvent.RestoreCompleted;
  constructor(
    readonly restoreId: string,
    readonly backupId: string,
    readonly dryRun: boolean,
    readonly tables: string[],
    readonly initiator: BackupInitiator,
  ) {}
}

export class RestoreFailedEvent {
  static readonly eventName = BackupEvent.RestoreFailed;
  constructor(
    readonly restoreId: string,
    readonly backupId: string,
    readonly error: string,
    readonly cancelled: boolean,
    readonly initiator: BackupInitiator,
  ) {}
}

export type BackupDomainEvent =
  | BackupCompletedEvent
  | BackupFailedEvent
  | BackupStaleEvent
  | BackupVerifiedEvent
  | RestoreCompletedEvent
  | RestoreFailedEvent;
