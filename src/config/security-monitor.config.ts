import { isIP } from 'node:net';
import { registerAs } from '@nestjs/config';
import { IsBoolean, IsEmail, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy } from 'class-validator';
import { validateEnvironment } from './config-validation.util';
import { ToBoolean, ToInteger, ToList } from './env-transform.util';

export const ALERT_CHANNELS = ['webhook', 'slack', 'email'] as const;
export type AlertChannelName = (typeof ALERT_CHANNELS)[number];

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });
const HTTP_URL = /^https?:\/\/\S+$/;

/** An address or a CIDR (`203.0.113.7`, `10.0.0.0/8`, `2001:db8::/48`). */
export function isAddressOrCidr(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const parts = value.split('/');
  const family = isIP(parts[0]);
  if (family === 0 || parts.length > 2) return false;
  if (parts.length === 1) return true;
  const prefix = parts[1];
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  return bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

const IsAddressOrCidrEach = (): PropertyDecorator =>
  ValidateBy({
    name: 'isAddressOrCidr',
    validator: {
      validate: (value: unknown) => Array.isArray(value) && value.every(isAddressOrCidr),
      defaultMessage: () => 'must be a comma-separated list of ip addresses or CIDRs',
    },
  });

class SecurityMonitorEnvironment {
  /** The seed's threat_detection: off, no rule evaluates and no block is enforced (benchmarks compare both). */
  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  SECURITY_MONITOR_ENABLED = true;

  @ToInteger()
  @IsInt(range(1, 36500))
  @Min(1, range(1, 36500))
  @Max(36500, range(1, 36500))
  SECURITY_EVENT_RETENTION_DAYS = 365;

  @ToList()
  @IsAddressOrCidrEach()
  SECURITY_ALLOWLIST_IPS: string[] = [];

  @ToList()
  @IsString({ each: true })
  SECURITY_ALLOWLIST_USERS: string[] = [];

  @ToInteger()
  @IsInt(range(1, 3650))
  @Min(1, range(1, 3650))
  @Max(3650, range(1, 3650))
  SECURITY_OFFENCE_MEMORY_DAYS = 30;

  @ToInteger()
  @IsInt(range(100, 600_000))
  @Min(100, range(100, 600_000))
  @Max(600_000, range(100, 600_000))
  SECURITY_STATE_REFRESH_MS = 5000;

  @ToList()
  @IsIn(ALERT_CHANNELS, { each: true, message: `must list channels among ${ALERT_CHANNELS.join(', ')}` })
  SECURITY_ALERT_CHANNELS: AlertChannelName[] = ['email', 'slack'];

  @IsOptional()
  @Matches(HTTP_URL, { message: 'must be an http:// or https:// URL' })
  SECURITY_ALERT_WEBHOOK_URL?: string;

  /** Standard Webhooks secret: `whsec_` and base64 of at least 24 bytes. */
  @IsOptional()
  @Matches(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, { message: 'must be whsec_ followed by base64 of 24+ bytes' })
  SECURITY_ALERT_WEBHOOK_SECRET?: string;

  @IsOptional()
  @Matches(HTTP_URL, { message: 'must be an http:// or https:// URL' })
  SECURITY_ALERT_SLACK_WEBHOOK_URL?: string;

  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'must be an smtp:// or smtps:// URL' })
  SECURITY_ALERT_SMTP_URL?: string;

  @IsEmail({ require_tld: false }, { message: 'must be an e-mail address' })
  SECURITY_ALERT_EMAIL_FROM = 'sentinel@localhost';

  @ToList()
  @IsEmail({ require_tld: false }, { each: true, message: 'must be a comma-separated list of e-mail addresses' })
  SECURITY_ALERT_EMAIL_TO: string[] = [];

  @ToInteger()
  @IsInt(range(0, 86_400))
  @Min(0, range(0, 86_400))
  @Max(86_400, range(0, 86_400))
  SECURITY_ALERT_DEDUP_SECONDS = 900;

  @ToInteger()
  @IsInt(range(1, 20))
  @Min(1, range(1, 20))
  @Max(20, range(1, 20))
  SECURITY_ALERT_MAX_ATTEMPTS = 5;

  @ToInteger()
  @IsInt(range(1, 3600))
  @Min(1, range(1, 3600))
  @Max(3600, range(1, 3600))
  SECURITY_ALERT_RETRY_SECONDS = 30;

  @ToInteger()
  @IsInt(range(100, 60_000))
  @Min(100, range(100, 60_000))
  @Max(60_000, range(100, 60_000))
  SECURITY_ALERT_TIMEOUT_MS = 5000;
}

export const securityMonitorConfig = registerAs('securityMonitor', () => {
  const env = validateEnvironment(SecurityMonitorEnvironment, process.env);
  return {
    enabled: env.SECURITY_MONITOR_ENABLED,
    eventRetentionDays: env.SECURITY_EVENT_RETENTION_DAYS,
    allowlist: {
      ips: env.SECURITY_ALLOWLIST_IPS,
      users: env.SECURITY_ALLOWLIST_USERS.map((username) => username.toLowerCase()),
    },
    offenceMemoryDays: env.SECURITY_OFFENCE_MEMORY_DAYS,
    stateRefreshMs: env.SECURITY_STATE_REFRESH_MS,
    alerts: {
      channels: env.SECURITY_ALERT_CHANNELS,
      webhook:
        env.SECURITY_ALERT_WEBHOOK_URL && env.SECURITY_ALERT_WEBHOOK_SECRET
          ? { url: env.SECURITY_ALERT_WEBHOOK_URL, secret: env.SECURITY_ALERT_WEBHOOK_SECRET }
          : undefined,
      slackUrl: env.SECURITY_ALERT_SLACK_WEBHOOK_URL,
      email:
        env.SECURITY_ALERT_SMTP_URL && env.SECURITY_ALERT_EMAIL_TO.length > 0
          ? {
              smtpUrl: env.SECURITY_ALERT_SMTP_URL,
              from: env.SECURITY_ALERT_EMAIL_FROM,
              to: env.SECURITY_ALERT_EMAIL_TO,
            }
          : undefined,
      dedupSeconds: env.SECURITY_ALERT_DEDUP_SECONDS,
      maxAttempts: env.SECURITY_ALERT_MAX_ATTEMPTS,
      retrySeconds: env.SECURITY_ALERT_RETRY_SECONDS,
      timeoutMs: env.SECURITY_ALERT_TIMEOUT_MS,
    },
  };
});

export type SecurityMonitorConfig = ReturnType<typeof securityMonitorConfig>;
