import { storableIp, storableJson, storableOptionalText, storableText } from '../../database/storable-value.util';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The seed's threat levels: how likely the event is part of an attack, next to how bad it is. */
export const THREAT_LEVELS = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type ThreatLevel = (typeof THREAT_LEVELS)[number];

/** One row of security_events as the app writes it (the seed's log_security_event). */
export interface NewSecurityEvent {
  eventType: string;
  severity: Severity;
  source: string;
  userId?: string | null;
  sessionId?: string | null;
  details?: Record<string, unknown> | null;
  ip?: string | null;
  userAgent?: string | null;
  threatLevel?: ThreatLevel | null;
  metadata?: Record<string, unknown> | null;
  createdAt: Date;
}

/** A copy every column of security_events accepts as it is, whoever supplied the values. */
export function storableSecurityEvent(event: NewSecurityEvent): NewSecurityEvent {
  return {
    eventType: storableText(event.eventType, 200),
    severity: event.severity,
    source: storableText(event.source, 100),
    userId: storableOptionalText(event.userId, 200),
    sessionId: storableOptionalText(event.sessionId, 200),
    details: (storableJson(event.details ?? null) as Record<string, unknown> | null) ?? null,
    ip: storableIp(event.ip),
    userAgent: storableOptionalText(event.userAgent, 512),
    threatLevel: event.threatLevel ?? null,
    metadata: (storableJson(event.metadata ?? null) as Record<string, unknown> | null) ?? null,
    createdAt: event.createdAt,
  };
}

/** The threat level an event gets when its reporter names none. */
export function threatLevelOf(severity: Severity): ThreatLevel {
  return severity === 'info' ? 'none' : severity;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}
