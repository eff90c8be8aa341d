import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createTransport, type Transporter } from 'nodemailer';
import { Clock } from '../../common/clock/clock';
import { securityMonitorConfig } from '../../config';
import type { AlertChannelName } from '../../config/security-monitor.config';
import { type AlertMessage, alertText, DeliveryRefused } from './alert-message';
import { standardWebhookHeaders } from './standard-webhook';

export interface AlertChannel {
  readonly name: AlertChannelName;
  /** Resolves once the receiver accepted the message; throws otherwise. */
  send(message: AlertMessage, messageId: string): Promise<void>;
}

/**
 * The channels SECURITY_ALERT_* configure: a signed webhook, a Slack
 * incoming webhook, e-mail over SMTP. Their URLs and secrets stay in here:
 * nothing they hold is logged, stored or answered.
 */
@Injectable()
export class AlertChannels implements OnApplicationShutdown {
  private readonly logger = new Logger('SecurityAlerts');
  private readonly channels = new Map<AlertChannelName, AlertChannel>();
  private mailer?: Transporter;

  constructor(
    private readonly clock: Clock,
    @Inject(securityMonitorConfig.KEY) config: ConfigType<typeof securityMonitorConfig>,
  ) {
    const { alerts } = config;
    const timeout = (): AbortSignal => AbortSignal.timeout(alerts.timeoutMs);
    if (alerts.webhook) {
      const { url, secret } = alerts.webhook;
      this.channels.set('webhook', {
        name: 'webhook',
        send: (message, messageId) => {
          const body = JSON.stringify({ type: 'security.alert', timestamp: message.occurredAt, data: message });
          const seconds = Math.floor(this.clock.now().getTime() / 1000);
          return post(url, body, { ...standardWebhookHeaders(secret, messageId, seconds, body) }, timeout());
        },
      });
    }
    if (alerts.slackUrl) {
      const url = alerts.slackUrl;
      this.channels.set('slack', {
        name: 'slack',
        send: (message) => post(url, JSON.stringify({ text: alertText(message) }), {}, timeout()),
      });
    }
    if (alerts.email) {
      const { smtpUrl, from, to } = alerts.email;
      const mailer = createTransport({
        url: smtpUrl,
        connectionTimeout: alerts.timeoutMs,
        greetingTimeout: alerts.timeoutMs,
        socketTimeout: alerts.timeoutMs,
      });
      this.mailer = mailer;
      this.channels.set('email', {
        name: 'email',
        send: async (message, messageId) => {
          await mailer.sendMail({
            from,
            to,
            subject: `[Sentinel ${message.severity}] ${message.title}`,
            text: alertText(message),
            headers: { 'X-Sentinel-Alert-Id': message.alertId, 'X-Sentinel-Message-Id': messageId },
          });
        },
      });
    }
    const unset = alerts.channels.filter((name) => !this.channels.has(name));
    if (unset.length > 0) this.logger.warn(`alert channels listed but not configured, skipped: ${unset.join(', ')}`);
  }

  /** The configured channels among `names` (by default SECURITY_ALERT_CHANNELS). */
  select(names: readonly AlertChannelName[]): AlertChannel[] {
    return names.flatMap((name) => this.channels.get(name) ?? []);
  }

  get(name: string): AlertChannel | undefined {
    return this.channels.get(name as AlertChannelName);
  }

  onApplicationShutdown(): void {
    this.mailer?.close();
  }
}

async function post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal,
    redirect: 'error',
  });
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new DeliveryRefused(response.status);
}
