import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { type PageDto, page } from '../../common/pagination/paginated';
import type { TimeRangeQueryDto } from '../../common/time-range/time-range-query.dto';
import { redactSensitiveFields } from '../../common/redaction/redact.util';
import { Transactions } from '../../database/transactions/transactions.service';
import type {
  CountDto,
  ListSecurityEventsQueryDto,
  ReportSecurityEventDto,
  SecurityEventDto,
  SecurityStatisticsDto,
  SecuritySummaryRowDto,
} from '../dto/security-event.dto';
import { SecurityEventResolved } from '../security-monitor.events';
import { SecurityMonitorErrorCode, SecurityMonitorException } from '../security-monitor.exception';
import { type Severity, threatLevelOf } from './security-event';
import { SecurityEventStore } from './security-event-store';

interface EventRow {
  id: string;
  event_type: string;
  severity: Severity;
  source: string | null;
  user_id: string | null;
  session_id: string | null;
  event_details: unknown;
  ip_address: string | null;
  user_agent: string | null;
  threat_level: string | null;
  is_resolved: boolean;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution_notes: string | null;
  metadata: unknown;
  created_at: Date;
}

const COLUMNS = `id::text, event_type, severity, source, user_id, session_id, event_details, host(ip_address) AS ip_address,
  user_agent, threat_level, is_resolved, resolved_at, resolved_by, resolution_notes, metadata, created_at`;
const TOP = 10;
const DAY_MS = 86_400_000;

/** Reporting, reading and resolving security events, and the seed's statistics and summary over them. */
@Injectable()
export class SecurityEventsService {
  constructor(
    private readonly store: SecurityEventStore,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  /** Another service's event; answered once it is written, so a reader sees it right after. */
  report(caller: AuthenticatedUser, input: ReportSecurityEventDto): Promise<void> {
    return this.store.recordNow({
      eventType: input.eventType,
      severity: input.severity,
      source: input.source ?? `reported:${caller.username}`,
      userId: input.userId,
      sessionId: input.sessionId,
      // A reporter's fields named like credentials are never kept, shown or alerted on.
      details: redactSensitiveFields(input.details) as Record<string, unknown> | undefined,
      ip: input.ip,
      userAgent: input.userAgent,
      threatLevel: input.threatLevel ?? threatLevelOf(input.severity),
      metadata: {
        ...(redactSensitiveFields(input.metadata) as Record<string, unknown> | undefined),
        reportedBy: caller.username,
        apiKeyId: caller.apiKeyId ?? null,
      },
      createdAt: this.clock.now(),
    });
  }

  async list(query: ListSecurityEventsQueryDto): Promise<PageDto<SecurityEventDto>> {
    const { where, params } = eventFilter(query);
    const [rows, [{ total }]] = await Promise.all([
      this.transactions.query<EventRow[]>(
        `SELECT ${COLUMNS} FROM security_events WHERE ${where}
          ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, query.limit, query.offset],
      ),
      this.transactions.query<{ total: number }[]>(
        `SELECT count(*)::int AS total FROM security_events WHERE ${where}`,
        params,
      ),
    ]);
    return page(rows.map(toDto), total, query);
  }

  async resolve(actor: AuthenticatedUser, id: string, notes: string): Promise<SecurityEventDto> {
    const [rows] = await this.transactions.query<[EventRow[], number]>(
      `UPDATE security_events SET is_resolved = true, resolved_at = $2, resolved_by = $3, resolution_notes = $4
        WHERE id = $1 AND NOT is_resolved RETURNING ${COLUMNS}`,
      [id, this.clock.now(), actor.username, notes],
    );
    const resolved = rows.at(0);
    if (!resolved) {
      const [exists] = await this.transactions.query<unknown[]>('SELECT 1 FROM security_events WHERE id = $1', [id]);
      throw new SecurityMonitorException(
        exists ? SecurityMonitorErrorCode.EventAlreadyResolved : SecurityMonitorErrorCode.EventNotFound,
      );
    }
    this.events.publish(new SecurityEventResolved(resolved.id, actor.username));
    return toDto(resolved);
  }

  /** The seed's get_security_statistics(days_back): counts by type, severity and day, top ips and users, resolution. */
  async statistics(days: number): Promise<SecurityStatisticsDto> {
    const to = this.clock.now();
    const from = new Date(to.getTime() - days * DAY_MS);
    const range = 'created_at >= $1 AND created_at < $2';
    const counts = (key: string, extra = 'true', order = 'count(*) DESC, 1', limit = ''): Promise<CountDto[]> =>
      this.transactions
        .query<{ key: string; count: number }[]>(
          `SELECT ${key} AS key, count(*)::int AS count FROM security_events
            WHERE ${range} AND ${extra} GROUP BY 1 ORDER BY ${order} ${limit}`,
          [from, to],
        )
        .then((rows) => rows.map((row) => ({ key: row.key, count: row.count })));
    const [[totals], byType, bySeverity, openBySeverity, byDay, topIps, topUsers] = await Promise.all([
      this.transactions.query<{ total: number; open: number; mean_seconds: number | null }[]>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE NOT is_resolved)::int AS open,
                avg(extract(epoch FROM resolved_at - created_at))::float8 AS mean_seconds
           FROM security_events WHERE ${range}`,
        [from, to],
      ),
      counts('event_type'),
      counts('severity'),
      counts('severity', 'NOT is_resolved'),
      counts(`to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`, 'true', '1'),
      counts('host(ip_address)', 'ip_address IS NOT NULL', 'count(*) DESC, 1', `LIMIT ${TOP}`),
      counts('user_id', 'user_id IS NOT NULL', 'count(*) DESC, 1', `LIMIT ${TOP}`),
    ]);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      total: totals.total,
      open: totals.open,
      resolved: totals.total - totals.open,
      meanTimeToResolveSeconds: totals.mean_seconds === null ? null : Math.round(totals.mean_seconds * 10) / 10,
      byType,
      bySeverity,
      openBySeverity,
      byDay,
      topIps,
      topUsers,
    };
  }

  /** The seed's security_events_summary view: per UTC day, type and severity, how many and how many still open. */
  async summary(range: TimeRangeQueryDto): Promise<SecuritySummaryRowDto[]> {
    const { where, params } = eventFilter(range);
    const rows = await this.transactions.query<
      { day: string; event_type: string; severity: Severity; total: number; open: number }[]
    >(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, event_type, severity,
              count(*)::int AS total, count(*) FILTER (WHERE NOT is_resolved)::int AS open
         FROM security_events WHERE ${where} GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3`,
      params,
    );
    return rows.map((row) => ({
      day: row.day,
      eventType: row.event_type,
      severity: row.severity,
      total: row.total,
      open: row.open,
      resolved: row.total - row.open,
    }));
  }
}

function eventFilter(filter: Partial<ListSecurityEventsQueryDto>): { where: string; params: unknown[] } {
  if (filter.from && filter.to && new Date(filter.from) >= new Date(filter.to)) {
    throw new SecurityMonitorException(SecurityMonitorErrorCode.InvalidRange);
  }
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.from) add((p) => `created_at >= ${p}`, filter.from);
  if (filter.to) add((p) => `created_at < ${p}`, filter.to);
  if (filter.type) add((p) => `event_type = ${p}`, filter.type);
  if (filter.severity) add((p) => `severity = ${p}`, filter.severity);
  if (filter.threatLevel) add((p) => `threat_level = ${p}`, filter.threatLevel);
  if (filter.resolved !== undefined) add((p) => `is_resolved = ${p}`, filter.resolved);
  if (filter.userId) add((p) => `user_id = ${p}`, filter.userId);
  if (filter.ip) add((p) => `ip_address = ${p}::inet`, filter.ip);
  return { where: conditions.length > 0 ? conditions.join(' AND ') : 'true', params };
}

function toDto(row: EventRow): SecurityEventDto {
  return {
    id: row.id,
    eventType: row.event_type,
    severity: row.severity,
    source: row.source,
    userId: row.user_id,
    sessionId: row.session_id,
    details: row.event_details,
    ip: row.ip_address,
    userAgent: row.user_agent,
    threatLevel: row.threat_level,
    resolved: row.is_resolved,
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    resolvedBy: row.resolved_by,
    resolutionNotes: row.resolution_notes,
    metadata: row.metadata,
    createdAt: row.created_at.toISOString(),
  };
}
