import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { DomainEvent, EventAuditRecord } from '../common/events/domain-event';
import { DomainEvents } from '../common/events/domain-events.service';
import { type AuditEntry, SYSTEM_ACTOR } from './audit-entry';
import { AuditTrail } from './audit-trail.service';

/**
 * Every security-relevant domain event becomes an audit row named by its
 * type, written in the transaction that raised it (so it commits with the
 * change) or, for events raised outside one, queued as kept.
 */
@Injectable()
export class AuditEventSubscriber implements OnModuleInit {
  constructor(
    private readonly events: DomainEvents,
    private readonly trail: AuditTrail,
  ) {}

  onModuleInit(): void {
    this.events.subscribeInTransaction((event) => {
      const record = event.audit();
      if (record) void this.trail.record(auditEntryOf(event, record));
    });
  }
}

export function auditEntryOf(event: DomainEvent, record: EventAuditRecord): AuditEntry {
  const { actor, ip, userAgent, traceId } = event.origin;
  // Outside any request (a job, a timer) the service itself acted.
  const fallbackName = traceId === undefined ? SYSTEM_ACTOR : null;
  return {
    createdAt: event.occurredAt,
    userId: actor?.userId ?? record.userId ?? null,
    username: actor?.username ?? record.username ?? fallbackName,
    sessionId: actor?.sessionId ?? record.sessionId ?? null,
    apiKeyId: actor?.apiKeyId ?? null,
    actionType: event.type,
    resourceType: record.resourceType ?? null,
    resourceId: record.resourceId ?? null,
    actionDetails: record.details ?? null,
    ipAddress: ip ?? null,
    userAgent: userAgent ?? null,
    requestMethod: null,
    requestPath: null,
    responseStatus: null,
    executionTimeMs: null,
    success: record.success ?? true,
    allowed: null,
    errorMessage: null,
    errorCode: null,
    metadata: null,
    traceId: traceId ?? null,
  };
}
