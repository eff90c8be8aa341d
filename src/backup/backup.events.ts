import type { EventAuditRecord } from '../common/events/domain-event';
import { domainEvent } from '../common/events/domain-event';
import type { BackupType } from './engine/backup-manifest';

/**
 * Domain events of the backup module, published through the one after-commit
 * publisher and audited. They name backups and restores by id; they never
 * carry a key, a file's content or a row of data.
 */

/** Who started the work: a caller of the API (their user id), the command line, or a schedule. */
export type BackupInitiator = { kind: 'user'; userId: string } | { kind: 'cli' } | { kind: 'schedule' };

export class BackupCompletedEvent extends domainEvent('backup.completed') {
  constructor(
    readonly backupId: string,
    readonly backupType: BackupType,
    readonly sizeBytes: number,
    readonly initiator: BackupInitiator,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'backup',
      resourceId: this.backupId,
      details: { type: this.backupType, sizeBytes: this.sizeBytes, initiator: this.initiator.kind },
    };
  }
}

export class BackupFailedEvent extends domainEvent('backup.failed') {
  constructor(
    readonly backupId: string,
    readonly backupType: BackupType,
    readonly error: string,
    readonly initiator: BackupInitiator,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'backup',
      resourceId: this.backupId,
      success: false,
      details: { type: this.backupType, error: this.error, initiator: this.initiator.kind },
    };
  }
}

/** The newest verified backup is older than BACKUP_MAX_AGE_HOURS (or there is none). */
export class BackupStaleEvent extends domainEvent('backup.stale') {
  constructor(
    readonly newestVerifiedAt: Date | null,
    readonly maxAgeHours: number,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'backup',
      success: false,
      details: { newestVerifiedAt: this.newestVerifiedAt?.toISOString() ?? null, maxAgeHours: this.maxAgeHours },
    };
  }
}

export class BackupVerifiedEvent extends domainEvent('backup.verified') {
  constructor(
    readonly backupId: string,
    readonly ok: boolean,
    readonly restoreTest: boolean,
    readonly error: string | undefined,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'backup',
      resourceId: this.backupId,
      success: this.ok,
      details: { restoreTest: this.restoreTest, ...(this.error ? { error: this.error } : {}) },
    };
  }
}

/** The restore itself, recorded in the trail it has just merged. */
export class RestoreCompletedEvent extends domainEvent('restore.completed') {
  constructor(
    readonly restoreId: string,
    readonly backupId: string,
    readonly dryRun: boolean,
    readonly tables: string[],
    readonly initiator: BackupInitiator,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'restore',
      resourceId: this.restoreId,
      details: { backupId: this.backupId, dryRun: this.dryRun, tables: this.tables, initiator: this.initiator.kind },
    };
  }
}

/** A cancel was recorded for a running restore, from the API or the command line; it commits with the flag. */
export class RestoreCancelRequestedEvent extends domainEvent('restore.cancel_requested') {
  constructor(
    readonly restoreId: string,
    readonly initiator: BackupInitiator,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return { resourceType: 'restore', resourceId: this.restoreId, details: { initiator: this.initiator.kind } };
  }
}

export class RestoreFailedEvent extends domainEvent('restore.failed') {
  constructor(
    readonly restoreId: string,
    readonly backupId: string,
    readonly error: string,
    readonly cancelled: boolean,
    readonly initiator: BackupInitiator,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      resourceType: 'restore',
      resourceId: this.restoreId,
      success: false,
      details: {
        backupId: this.backupId,
        error: this.error,
        cancelled: this.cancelled,
        initiator: this.initiator.kind,
      },
    };
  }
}
