import type { Severity } from '../events/security-event';

/** What every channel says about an alert; stored with it, so a retry sends the same. */
export interface AlertMessage {
  alertId: string;
  title: string;
  severity: Severity;
  policy: { id: string; name: string; type: string } | null;
  subject: string | null;
  summary: string;
  evidence: Record<string, unknown>;
  responses: string[];
  occurredAt: string;
}

/** The plain-text form, for Slack and e-mail. */
export function alertText(message: AlertMessage): string {
  const lines = [
    `[${message.severity.toUpperCase()}] ${message.title}`,
    message.summary,
    message.responses.length > 0 ? `Responses: ${message.responses.join(', ')}` : 'Responses: none',
    `Evidence: ${JSON.stringify(message.evidence)}`,
    `At: ${message.occurredAt} (alert ${message.alertId})`,
  ];
  return lines.join('\n');
}

/** What a failed delivery records: a status or an error code, never a URL, a header or a server's reply. */
export function deliveryError(error: unknown): string {
  if (error instanceof DeliveryRefused) return error.message;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = (error as { code?: unknown } | null)?.code ?? cause?.code;
  const responseCode = (error as { responseCode?: unknown } | null)?.responseCode;
  if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) {
    return typeof responseCode === 'number' ? `${code} (SMTP ${responseCode})` : code;
  }
  return 'delivery failed';
}

/** A receiver answered, but not with success. */
export class DeliveryRefused extends Error {
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.name = 'DeliveryRefused';
  }
}
