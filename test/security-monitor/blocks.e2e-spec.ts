import { Webhook } from 'standardwebhooks';
import type { AlertDto } from '../../src/security-monitor/dto/alert.dto';
import type { BlockDto } from '../../src/security-monitor/dto/block.dto';
import type { SecurityEventDto } from '../../src/security-monitor/dto/security-event.dto';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { asAdministrator } from '../audit/audit-support';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, type TestUser, tokenFor } from '../support/users';
import { waitUntil } from '../support/wait';
import type { Page } from '../rbac/rbac-fixtures';
import {
  eventually,
  onlyPolicies,
  SECURITY,
  settle,
  type SmtpReceiver,
  startSmtpReceiver,
  startWebhookReceiver,
  WEBHOOK_SECRET,
  type WebhookReceiver,
} from './monitor-support';

const ATTACKER = '203.0.113.7';
const BYSTANDER = '203.0.113.8';

function badLogin(baseUrl: string, ip: string, username: string) {
  return request(baseUrl, '/api/v1/auth/login', {
    method: 'POST',
    json: { username, password: 'wrong-Password-1!' },
    headers: { 'x-forwarded-for': ip },
  });
}

function from(baseUrl: string, ip: string, path = '/health/live') {
  return request(baseUrl, path, { headers: { 'x-forwarded-for': ip } });
}

describe('security monitor: a burst of bad logins blocks the ip on every instance, and alerts', () => {
  const clock = new TestClock();
  let webhook: WebhookReceiver;
  let slack: WebhookReceiver;
  let smtp: SmtpReceiver;
  let first: TestApp;
  let second: TestApp;
  let admin: TestUser;
  let adminToken: string;

  beforeAll(async () => {
    [webhook, slack, smtp] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(), startSmtpReceiver()]);
    const env = {
      TRUST_PROXY: 'true',
      SECURITY_ALERT_CHANNELS: 'webhook,slack,email',
      SECURITY_ALERT_WEBHOOK_URL: webhook.url,
      SECURITY_ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SECURITY_ALERT_SLACK_WEBHOOK_URL: slack.url,
      SECURITY_ALERT_SMTP_URL: smtp.url,
      SECURITY_ALERT_EMAIL_TO: 'soc@example.test',
      SECURITY_ALERT_DEDUP_SECONDS: '60',
    };
    first = await createTestApp(env, { clock });
    second = await createTestApp(env, { clock, databaseUrl: first.databaseUrl });
    await onlyPolicies(first.app, 'failed-login-burst');
    admin = await createUser(first.app, { role: Role.Admin });
    adminToken = await tokenFor(first.baseUrl, admin);
  });
  afterAll(async () => {
    await second.app.close();
    await first.close();
    await Promise.all([webhook.close(), slack.close(), smtp.close()]);
  });

  it('blocks the ip after 10 failures in the window, on both instances, before authentication', async () => {
    for (let i = 0; i < 9; i++) expect((await badLogin(first.baseUrl, ATTACKER, `victim${i}`)).status).toBe(401);
    await settle(first.app);
    expect((await from(first.baseUrl, ATTACKER)).status).toBe(200);

    expect((await badLogin(first.baseUrl, ATTACKER, 'victim9')).status).toBe(401);
    await settle(first.app);
    const refused = await from(first.baseUrl, ATTACKER, '/api/v1/auth/me');
    expectErrorBody(refused, 403, 'IP_BLOCKED');
    expect(Number(refused.headers.get('retry-after'))).toBe(900);
    // The other instance enforces it too, and answers a login from there with 403, not 401.
    await eventually(async () => {
      expectErrorBody(await from(second.baseUrl, ATTACKER), 403, 'IP_BLOCKED');
    });
    expectErrorBody(await badLogin(second.baseUrl, ATTACKER, 'victim0'), 403, 'IP_BLOCKED');
    expect((await from(second.baseUrl, BYSTANDER)).status).toBe(200);

    const blocks = await request<Page<BlockDto>>(first.baseUrl, `${SECURITY}/blocks`, { token: adminToken });
    expect(blocks.body.items).toEqual([
      expect.objectContaining({
        network: `${ATTACKER}/32`,
        offence: 1,
        secondsLeft: 900,
        policyId: expect.any(String),
      }),
    ]);
  });

  it('records the firing with its evidence', async () => {
    await settle(first.app);
    const fired = await request<Page<SecurityEventDto>>(first.baseUrl, `${SECURITY}/events?type=security.rule-fired`, {
      token: adminToken,
    });
    expect(fired.body.items).toHaveLength(1);
    const [event] = fired.body.items;
    expect(event).toMatchObject({ severity: 'high', ip: ATTACKER, resolved: false, source: 'security-monitor' });
    const details = event.details as Record<string, unknown>;
    expect(details).toMatchObject({
      count: 10,
      windowSeconds: 300,
      simulation: false,
      policy: { name: 'failed-login-burst', type: 'failed-login-burst' },
    });
    expect((details.evidence as { attributes: string[] }).attributes).toHaveLength(10);
    expect(details.responses).toEqual(
      expect.arrayContaining([expect.objectContaining({ response: 'block-ip', outcome: 'done', offence: 1 })]),
    );
    const failures = await request<Page<SecurityEventDto>>(
      first.baseUrl,
      `${SECURITY}/events?type=auth.login.failed&ip=${ATTACKER}&limit=100`,
      { token: adminToken },
    );
    expect(failures.body.total).toBe(10);
  });

  it('delivers a signed webhook, a Slack message and an e-mail, each recorded as delivered', async () => {
    await eventually(() => {
      expect(webhook.received).toHaveLength(1);
      expect(slack.received).toHaveLength(1);
      expect(smtp.mails).toHaveLength(1);
    });
    const [message] = webhook.received;
    const verified = new Webhook(WEBHOOK_SECRET).verify(message.body, {
      'webhook-id': String(message.headers['webhook-id']),
      'webhook-timestamp': String(message.headers['webhook-timestamp']),
      'webhook-signature': String(message.headers['webhook-signature']),
    }) as { type: string; data: { policy: { name: string }; subject: string; evidence: { count: number } } };
    expect(verified.type).toBe('security.alert');
    expect(verified.data).toMatchObject({ policy: { name: 'failed-login-burst' }, subject: ATTACKER });
    expect(verified.data.evidence.count).toBe(10);
    // A tampered body fails verification: the signature covers it.
    expect(() =>
      new Webhook(WEBHOOK_SECRET).verify(message.body.replace(ATTACKER, BYSTANDER), {
        'webhook-id': String(message.headers['webhook-id']),
        'webhook-timestamp': String(message.headers['webhook-timestamp']),
        'webhook-signature': String(message.headers['webhook-signature']),
      }),
    ).toThrow();

    expect((JSON.parse(slack.received[0].body) as { text: string }).text).toContain('failed-login-burst');
    const [mail] = smtp.mails;
    expect(mail.subject).toContain('failed-login-burst');
    expect(mail.text).toContain(ATTACKER);
    expect((mail.to as { text: string }).text).toBe('soc@example.test');

    // Either instance may have sent them; the record says so once it has.
    const alerts = await eventually(async () => {
      const result = await request<Page<AlertDto>>(first.baseUrl, `${SECURITY}/alerts`, { token: adminToken });
      expect(result.body.items).toHaveLength(1);
      expect(result.body.items[0].deliveries.map((delivery) => [delivery.channel, delivery.status])).toEqual([
        ['webhook', 'delivered'],
        ['slack', 'delivered'],
        ['email', 'delivered'],
      ]);
      return result;
    });
    const everything = JSON.stringify([alerts.body, message.body, slack.received[0].body, mail.text]);
    expect(everything).not.toContain(WEBHOOK_SECRET.slice(6));
    expect(everything).not.toContain(slack.url);
  });

  it('lifts the block when it ends, on both instances, and a second offence blocks twice as long', async () => {
    clock.advance(899_000);
    expectErrorBody(await from(second.baseUrl, ATTACKER), 403, 'IP_BLOCKED');
    clock.advance(1_000);
    expect((await from(first.baseUrl, ATTACKER)).status).toBe(200);
    expect((await from(second.baseUrl, ATTACKER)).status).toBe(200);

    // Split across the two instances, the burst still fills one window.
    for (let i = 0; i < 10; i++) {
      const instance = i % 2 === 0 ? first : second;
      expect((await badLogin(instance.baseUrl, ATTACKER, `again${i}`)).status).toBe(401);
    }
    await settle(first.app);
    await settle(second.app);
    await eventually(async () => {
      expectErrorBody(await from(first.baseUrl, ATTACKER), 403, 'IP_BLOCKED');
    });
    const blocks = await request<Page<BlockDto>>(first.baseUrl, `${SECURITY}/blocks`, { token: adminToken });
    expect(blocks.body.items).toEqual([expect.objectContaining({ offence: 2, secondsLeft: 1800 })]);
    clock.advance(1_800_000);
    expect((await from(second.baseUrl, ATTACKER)).status).toBe(200);
  });
});

describe('security monitor: the block listener', () => {
  it('survives the database ending its connection, and listens again', async () => {
    const testApp = await createTestApp();
    try {
      const listeners = (): Promise<{ pid: number }[]> =>
        asAdministrator(async (client) => {
          const { rows } = await client.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'sentinel-monitor-listener'",
            [new URL(testApp.databaseUrl).pathname.slice(1)],
          );
          return rows;
        });
      await waitUntil(async () => (await listeners()).length === 1);
      // An operator's pg_terminate_backend, a failover: the server sends FATAL and closes the socket.
      await asAdministrator((client) =>
        client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'sentinel-monitor-listener'",
          [new URL(testApp.databaseUrl).pathname.slice(1)],
        ),
      );
      await waitUntil(async () => (await listeners()).length === 1, 20_000);
      expect((await request(testApp.baseUrl, '/health/ready')).status).toBe(200);
    } finally {
      await testApp.close();
    }
  });
});
