import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  BackupFailedEvent,
  BackupStaleEvent,
  BackupVerifiedEvent,
  RestoreCompletedEvent,
  RestoreFailedEvent,
} from '../../backup/backup.events';
import type { DomainEvent } from '../../common/events/domain-event';
import { OnDomainEvent } from '../../common/events/on-domain-event.decorator';
import { securityMonitorConfig } from '../../config';
import { AlertsService } from '../alerts/alerts.service';
import { type Severity, threatLevelOf } from './security-event';
import { SecurityEventStore } from './security-event-store';

/** What an operator must hear about at once: the recovery point is at risk. */
interface BackupAlert {
  dedupKey: string;
  title: string;
  subject: string | null;
  summary: string;
}

/**
 * The backup module's events as security events: a failed, stale or
 * unverifiable backup (each also an alert; within the alert window failures
 * are one alert, staleness one, and a failed verification one per backup),
 * and every restore, which replaces data.
 */
@Injectable()
export class BackupEventListener {
  constructor(
    private readonly store: SecurityEventStore,
    private readonly alerts: AlertsService,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  @OnDomainEvent(BackupFailedEvent)
  async backupFailed(event: BackupFailedEvent): Promise<void> {
    const details = {
      backupId: event.backupId,
      type: event.backupType,
      error: event.error,
      initiator: event.initiator.kind,
    };
    await this.record(event, event.type, 'high', details);
    await this.alert(event, details, {
      dedupKey: 'backup:failed',
      title: 'A backup failed',
      subject: event.backupId,
      summary: `The ${event.backupType} backup ${event.backupId} (${event.initiator.kind}) failed: ${event.error}`,
    });
  }

  @OnDomainEvent(BackupStaleEvent)
  async backupStale(event: BackupStaleEvent): Promise<void> {
    const details = {
      newestVerifiedAt: event.newestVerifiedAt?.toISOString() ?? null,
      maxAgeHours: event.maxAgeHours,
    };
    await this.record(event, event.type, 'high', details);
    await this.alert(event, details, {
      dedupKey: 'backup:stale',
      title: 'No recent verified backup',
      subject: null,
      summary: `The newest verified backup is ${details.newestVerifiedAt ? `from ${details.newestVerifiedAt}` : 'missing'}, older than ${event.maxAgeHours} hours`,
    });
  }

  @OnDomainEvent(BackupVerifiedEvent)
  async backupVerified(event: BackupVerifiedEvent): Promise<void> {
    if (event.ok) return;
    const details = { backupId: event.backupId, restoreTest: event.restoreTest, error: event.error ?? null };
    await this.record(event, 'backup.verification-failed', 'high', details);
    await this.alert(event, details, {
      dedupKey: `backup:verification-failed:${event.backupId}`,
      title: 'A backup failed verification',
      subject: event.backupId,
      summary: `Backup ${event.backupId} does not restore as recorded: ${event.error ?? 'unknown error'}`,
    });
  }

  @OnDomainEvent(RestoreCompletedEvent)
  restoreCompleted(event: RestoreCompletedEvent): Promise<void> {
    return this.record(event, event.type, event.dryRun ? 'info' : 'medium', {
      restoreId: event.restoreId,
      backupId: event.backupId,
      dryRun: event.dryRun,
      tables: event.tables,
      initiator: event.initiator.kind,
    });
  }

  @OnDomainEvent(RestoreFailedEvent)
  restoreFailed(event: RestoreFailedEvent): Promise<void> {
    return this.record(event, event.type, 'medium', {
      restoreId: event.restoreId,
      backupId: event.backupId,
      error: event.error,
      cancelled: event.cancelled,
      initiator: event.initiator.kind,
    });
  }

  private record(
    event: DomainEvent,
    eventType: string,
    severity: Severity,
    details: Record<string, unknown>,
  ): Promise<void> {
    if (!this.config.enabled) return Promise.resolve();
    return this.store.record({
      eventType,
      severity,
      source: 'backup',
      userId: event.origin.actor?.userId ?? null,
      sessionId: event.origin.actor?.sessionId ?? null,
      details,
      ip: event.origin.ip ?? null,
      userAgent: event.origin.userAgent ?? null,
      threatLevel: threatLevelOf(severity),
      metadata: event.origin.traceId ? { traceId: event.origin.traceId } : null,
      createdAt: event.occurredAt,
    });
  }

  private async alert(event: DomainEvent, evidence: Record<string, unknown>, alert: BackupAlert): Promise<void> {
    if (!this.config.enabled) return;
    await this.alerts.raise({
      dedupKey: alert.dedupKey,
      policyId: null,
      severity: 'high',
      title: alert.title,
      subject: alert.subject,
      message: {
        title: alert.title,
        severity: 'high',
        policy: null,
        subject: alert.subject,
        summary: alert.summary,
        evidence,
        responses: [],
        occurredAt: event.occurredAt.toISOString(),
      },
    });
  }
}
