import { createHmac } from 'node:crypto';

/**
 * The headers of a Standard Webhooks message (standardwebhooks.com): the
 * signature is HMAC-SHA256 over `id.timestamp.body` under the secret's bytes
 * (base64 after `whsec_`), so a receiver verifies it with any of the spec's
 * libraries; the id stays the same across retries, for the receiver to dedupe.
 */
export function standardWebhookHeaders(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${signature}`,
  };
}
