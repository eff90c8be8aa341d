import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { securityMonitorConfig } from '../../config';
import { Transactions } from '../../database/transactions/transactions.service';
import { SecurityAlertFailed } from '../security-monitor.events';
import { AlertChannels } from './alert-channels';
import { type AlertMessage, deliveryError } from './alert-message';

interface DueDelivery {
  id: string;
  alert_id: string;
  channel: string;
  message_id: string;
  attempts: number;
  payload: Omit<AlertMessage, 'alertId'>;
}

const POLL_MS = 1000;
const BATCH = 20;
/** A claimed delivery is not claimed again for this long, in case the instance sending it dies. */
const LEASE_MS = 60_000;

/**
 * Sends pending deliveries: at once when an alert is raised, then every
 * second for those whose retry is due. A delivery is claimed with
 * FOR UPDATE SKIP LOCKED and a lease, so with several instances each is sent
 * by one of them; failures back off (SECURITY_ALERT_RETRY_SECONDS, doubling)
 * until SECURITY_ALERT_MAX_ATTEMPTS, then it is marked failed and
 * `security.alert-failed` is published.
 */
@Injectable()
export class AlertDelivery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SecurityAlerts');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly transactions: Transactions,
    private readonly channels: AlertChannels,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.kick();
    }, POLL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Sends what is due now, soon; a call while a pass runs makes it run once more. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .catch((error: unknown) => {
        this.logger.warn(`alert delivery pass failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits for the pass under way, if any (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async deliverDue(): Promise<void> {
    for (;;) {
      const due = await this.claimDue();
      if (due.length === 0) return;
      await Promise.all(due.map((delivery) => this.attempt(delivery)));
    }
  }

  private async claimDue(): Promise<DueDelivery[]> {
    const now = this.clock.now();
    const [rows] = await this.transactions.outside(() =>
      this.transactions.query<[DueDelivery[], number]>(
        `UPDATE security_alert_deliveries delivery SET next_attempt_at = $2
          WHERE delivery.id IN (SELECT id FROM security_alert_deliveries
                                 WHERE status = 'pending' AND next_attempt_at <= $1
                                 ORDER BY next_attempt_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
          RETURNING delivery.id::text, delivery.alert_id::text, delivery.channel, delivery.message_id,
                    delivery.attempts,
                    (SELECT payload FROM security_alerts alert WHERE alert.id = delivery.alert_id) AS payload`,
        [now, new Date(now.getTime() + LEASE_MS)],
      ),
    );
    return rows;
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const channel = this.channels.get(delivery.channel);
    let error: string | undefined;
    try {
      if (!channel) throw new Error('channel no longer configured');
      await channel.send({ ...delivery.payload, alertId: delivery.alert_id }, delivery.message_id);
    } catch (failure) {
      error = channel ? deliveryError(failure) : 'channel not configured';
    }
    await this.settle(delivery, error);
  }

  private async settle(delivery: DueDelivery, error: string | undefined): Promise<void> {
    const now = this.clock.now();
    const attempts = delivery.attempts + 1;
    const gaveUp = error !== undefined && attempts >= this.config.alerts.maxAttempts;
    const status = error === undefined ? 'delivered' : gaveUp ? 'failed' : 'pending';
    const retryAt =
      status === 'pending'
        ? new Date(now.getTime() + this.config.alerts.retrySeconds * 1000 * 2 ** (attempts - 1))
        : null;
    const entry = JSON.stringify([{ at: now.toISOString(), ok: error === undefined, ...(error ? { error } : {}) }]);
    await this.transactions.outside(() =>
      this.transactions.query(
        `UPDATE security_alert_deliveries
            SET status = $2, attempts = $3, last_attempt_at = $4::timestamptz, next_attempt_at = $5, last_error = $6,
                delivered_at = CASE WHEN $2 = 'delivered' THEN $4::timestamptz END,
                attempt_log = attempt_log || $7::jsonb
          WHERE id = $1`,
        [delivery.id, status, attempts, now, retryAt, error ?? null, entry],
      ),
    );
    if (gaveUp) this.events.publish(new SecurityAlertFailed(delivery.alert_id, delivery.channel, attempts, error));
  }
}
