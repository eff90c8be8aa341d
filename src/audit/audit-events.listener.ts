import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { type AccountLockedEvent, AuthEvent } from '../auth/events/auth.events';
import {
  BackupCompletedEvent,
  BackupEvent,
  BackupFailedEvent,
  BackupStaleEvent,
  BackupVerifiedEvent,
  RestoreCompletedEvent,
  RestoreFailedEvent,
} from '../backup/backup.events';
import { AuditService, type SystemAction } from './audit.service';

/** Turns domain events that are actions of the system itself into audit rows. */
@Injectable()
export class AuditEventsListener {
  private readonly logger = new Logger('Audit');

  constructor(private readonly audit: AuditService) {}

  // Handled synchronously, so the row is queued before the login that caused it is answered; that
  // login's own row is written durably after it, in the same FIFO queue.
  @OnEvent(AuthEvent.AccountLocked)
  async onAccountLocked(event: AccountLockedEvent): Promise<void> {
    await this.audit
      .recordSystemAction({
        action: 'auth.account.locked',
        resourceType: 'user',
        resourceId: event.userId,
        details: { username: event.username, failedAttempts: event.failedAttempts, lockedUntil: event.lockedUntil },
      })
      .catch((error: unknown) => {
        this.logger.error(`could not record a lockout: ${error instanceof Error ? error.message : String(error)}`);
      });
  }

  @OnEvent(BackupEvent.Completed)
  onBackupCompleted(event: BackupCompletedEvent): Promise<void> {
    const { backupId, ...details } = event;
    return this.record({ action: BackupEvent.Completed, resourceType: 'backup', resourceId: backupId, details });
  }

  @OnEvent(BackupEvent.Failed)
  onBackupFailed(event: BackupFailedEvent): Promise<void> {
    const { backupId, error, ...details } = event;
    return this.record({
      action: BackupEvent.Failed,
      resourceType: 'backup',
      resourceId: backupId,
      details,
      success: false,
      errorMessage: error,
    });
  }

  @OnEvent(BackupEvent.Stale)
  onBackupStale(event: BackupStaleEvent): Promise<void> {
    return this.record({
      action: BackupEvent.Stale,
      resourceType: 'backup',
      details: { newestVerifiedAt: event.newestVerifiedAt, maxAgeHours: event.maxAgeHours },
      success: false,
    });
  }

  @OnEvent(BackupEvent.Verified)
  onBackupVerified(event: BackupVerifiedEvent): Promise<void> {
    return this.record({
      action: BackupEvent.Verified,
      resourceType: 'backup',
      resourceId: event.backupId,
      details: { restoreTest: event.restoreTest },
      success: event.ok,
      errorMessage: event.error,
    });
  }

  // The restore itself, in the trail it has just merged: after the commit (or the rollback).
  @OnEvent(BackupEvent.RestoreCompleted)
  onRestoreCompleted(event: RestoreCompletedEvent): Promise<void> {
    const { restoreId, ...details } = event;
    return this.record({
      action: BackupEvent.RestoreCompleted,
      resourceType: 'restore',
      resourceId: restoreId,
      details,
    });
  }

  @OnEvent(BackupEvent.RestoreFailed)
  onRestoreFailed(event: RestoreFailedEvent): Promise<void> {
    const { restoreId, error, ...details } = event;
    return this.record({
      action: BackupEvent.RestoreFailed,
      resourceType: 'restore',
      resourceId: restoreId,
      details,
      success: false,
      errorMessage: error,
    });
  }

  private async record(action: SystemAction): Promise<void> {
    await this.audit.recordSystemAction(action).catch((error: unknown) => {
      this.logger.error(`could not record ${action.action}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
}
