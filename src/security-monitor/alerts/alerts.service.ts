import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { type PageDto, page } from '../../common/pagination/paginated';
import type { PaginationQueryDto } from '../../common/pagination/pagination-query.dto';
import { securityMonitorConfig } from '../../config';
import type { AlertChannelName } from '../../config/security-monitor.config';
import { Transactions } from '../../database/transactions/transactions.service';
import type { Severity } from '../events/security-event';
import { AlertChannels } from './alert-channels';
import { AlertDelivery } from './alert-delivery';
import type { AlertMessage } from './alert-message';

export interface AlertRequest {
  /** Alerts with the same key within the dedup window are one alert (counted, not sent again). */
  dedupKey: string;
  policyId: string | null;
  severity: Severity;
  title: string;
  subject: string | null;
  message: Omit<AlertMessage, 'alertId'>;
  channels?: AlertChannelName[];
  dedupSeconds?: number;
}

export interface AlertOutcome {
  alertId: string;
  deduplicated: boolean;
}

export interface AlertRow {
  id: string;
  dedup_key: string;
  policy_id: string | null;
  severity: Severity;
  title: string;
  subject: string | null;
  suppressed: number;
  last_suppressed_at: Date | null;
  created_at: Date;
  deliveries: DeliveryRow[];
}

export interface DeliveryRow {
  id: string;
  channel: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  delivered_at: string | null;
  last_error: string | null;
  attempt_log: { at: string; ok: boolean; error?: string }[];
}

/**
 * Raises alerts: deduplicated per rule and subject within a window (one
 * message, a count of the repeats), one delivery per channel, each sent
 * at once and retried with backoff by AlertDelivery until it lands or gives up.
 */
@Injectable()
export class AlertsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly channels: AlertChannels,
    private readonly delivery: AlertDelivery,
    private readonly clock: Clock,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  async raise(request: AlertRequest): Promise<AlertOutcome> {
    const outcome = await this.transactions.run(() => this.store(request));
    if (!outcome.deduplicated) this.delivery.kick();
    return outcome;
  }

  async list(query: PaginationQueryDto): Promise<PageDto<AlertRow>> {
    const [items, [{ total }]] = await Promise.all([
      this.transactions.query<AlertRow[]>(
        `SELECT alert.id::text, alert.dedup_key, alert.policy_id::text, alert.severity, alert.title, alert.subject,
                alert.suppressed, alert.last_suppressed_at, alert.created_at,
                coalesce((SELECT json_agg(json_build_object(
                           'id', d.id::text, 'channel', d.channel, 'status', d.status, 'attempts', d.attempts,
                           'next_attempt_at', d.next_attempt_at, 'last_attempt_at', d.last_attempt_at,
                           'delivered_at', d.delivered_at, 'last_error', d.last_error, 'attempt_log', d.attempt_log)
                           ORDER BY d.id)
                            FROM security_alert_deliveries d WHERE d.alert_id = alert.id), '[]') AS deliveries
           FROM security_alerts alert ORDER BY alert.created_at DESC, alert.id DESC LIMIT $1 OFFSET $2`,
        [query.limit, query.offset],
      ),
      this.transactions.query<{ total: number }[]>('SELECT count(*)::int AS total FROM security_alerts'),
    ]);
    return page(items, total, query);
  }

  private async store(request: AlertRequest): Promise<AlertOutcome> {
    const now = this.clock.now();
    await this.transactions.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `security-alert:${request.dedupKey}`,
    ]);
    const dedupSeconds = request.dedupSeconds ?? this.config.alerts.dedupSeconds;
    // TypeORM answers a raw UPDATE with [rows, affected count].
    const [repeats] = await this.transactions.query<[{ id: string }[], number]>(
      `UPDATE security_alerts SET suppressed = suppressed + 1, last_suppressed_at = $3
        WHERE id = (SELECT id FROM security_alerts WHERE dedup_key = $1 AND created_at > $2
                     ORDER BY created_at DESC LIMIT 1)
        RETURNING id::text`,
      [request.dedupKey, new Date(now.getTime() - dedupSeconds * 1000), now],
    );
    const repeat = repeats.at(0);
    if (repeat) return { alertId: repeat.id, deduplicated: true };
    const [alert] = await this.transactions.query<{ id: string }[]>(
      `INSERT INTO security_alerts (dedup_key, policy_id, severity, title, subject, payload, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text`,
      [
        request.dedupKey,
        request.policyId,
        request.severity,
        request.title,
        request.subject,
        JSON.stringify(request.message),
        now,
      ],
    );
    const channels = this.channels.select(request.channels ?? this.config.alerts.channels);
    for (const channel of channels) {
      await this.transactions.query(
        `INSERT INTO security_alert_deliveries (alert_id, channel, message_id, status, next_attempt_at)
         VALUES ($1, $2, $3, 'pending', $4)`,
        [alert.id, channel.name, `msg_${randomBytes(16).toString('hex')}`, now],
      );
    }
    return { alertId: alert.id, deduplicated: false };
  }
}
