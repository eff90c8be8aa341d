import { DataSource } from 'typeorm';
import { SecurityEventStore } from '../../src/security-monitor/events/security-event-store';
import type { AlertDto } from '../../src/security-monitor/dto/alert.dto';
import type { PolicyDto } from '../../src/security-monitor/dto/policy.dto';
import type {
  SecurityEventDto,
  SecurityStatisticsDto,
  SecuritySummaryRowDto,
} from '../../src/security-monitor/dto/security-event.dto';
import type { UserAccessDto } from '../../src/security-monitor/dto/access-summary.dto';
import { AlertDelivery } from '../../src/security-monitor/alerts/alert-delivery';
import { Role } from '../../src/rbac/role';
import type { Page } from '../rbac/rbac-fixtures';
import { createGrant } from '../rbac/rbac-fixtures';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, type TestUser, tokenFor } from '../support/users';
import {
  eventually,
  onlyPolicies,
  requestFrom,
  SECURITY,
  settle,
  startWebhookReceiver,
  WEBHOOK_SECRET,
  type WebhookReceiver,
} from './monitor-support';

const DAY = 86_400_000;

/** Every route of the monitor, with the permission it needs and a body that would pass validation. */
const ROUTES: { method: string; path: string; manage: boolean; json?: unknown }[] = [
  { method: 'POST', path: '/events', manage: true, json: { eventType: 'x.y', severity: 'low' } },
  { method: 'GET', path: '/events', manage: false },
  { method: 'POST', path: '/events/1/resolve', manage: true, json: { notes: 'n' } },
  { method: 'GET', path: '/statistics', manage: false },
  { method: 'GET', path: '/summary', manage: false },
  { method: 'GET', path: '/access-summary', manage: false },
  { method: 'GET', path: '/alerts', manage: false },
  { method: 'GET', path: '/policies', manage: false },
  { method: 'GET', path: '/policies/1', manage: false },
  { method: 'POST', path: '/policies', manage: true, json: { name: 'p', type: 'scanning', config: {} } },
  { method: 'PATCH', path: '/policies/1', manage: true, json: { active: true } },
  { method: 'DELETE', path: '/policies/1', manage: true },
  { method: 'GET', path: '/blocks', manage: false },
  { method: 'POST', path: '/blocks', manage: true, json: { target: '192.0.2.1', durationSeconds: 5, reason: 'r' } },
  { method: 'DELETE', path: '/blocks/1', manage: true },
];

describe('security monitor API', () => {
  const clock = new TestClock(new Date('2030-03-10T12:00:00.000Z'));
  let webhook: WebhookReceiver;
  let testApp: TestApp;
  let baseUrl: string;
  let admin: TestUser;
  let adminToken: string;

  const get = <T>(path: string, token = adminToken) => request<T>(baseUrl, `${SECURITY}${path}`, { token });
  const send = <T>(method: string, path: string, json?: unknown, token = adminToken) =>
    request<T>(baseUrl, `${SECURITY}${path}`, { method, json, token });

  beforeAll(async () => {
    webhook = await startWebhookReceiver();
    testApp = await createTestApp(
      {
        SECURITY_ALERT_CHANNELS: 'webhook',
        SECURITY_ALERT_WEBHOOK_URL: webhook.url,
        SECURITY_ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
        SECURITY_ALERT_MAX_ATTEMPTS: '3',
        SECURITY_ALERT_RETRY_SECONDS: '30',
      },
      { clock },
    );
    baseUrl = testApp.baseUrl;
    admin = await createUser(testApp.app, { role: Role.Admin });
    adminToken = await tokenFor(baseUrl, admin);
    await onlyPolicies(testApp.app);
  });
  afterAll(async () => {
    await testApp.close();
    await webhook.close();
  });

  describe('access', () => {
    it.each(ROUTES)('$method $path: 401 without credentials', async (route) => {
      const result = await request(baseUrl, `${SECURITY}${route.path}`, { method: route.method, json: route.json });
      expectErrorBody(result, 401, 'UNAUTHENTICATED');
    });

    it.each(ROUTES)('$method $path: 403 for a caller without the security permission', async (route) => {
      const operator = await createUser(testApp.app, { role: Role.Operator });
      const result = await send(route.method, route.path, route.json, await tokenFor(baseUrl, operator));
      expectErrorBody(result, 403, 'FORBIDDEN');
    });

    it.each(ROUTES.filter((route) => route.manage))('$method $path: 403 with security:read only', async (route) => {
      const reader = await createUser(testApp.app, { role: Role.Auditor });
      await createGrant(baseUrl, adminToken, { userId: reader.id, permission: 'security:read' });
      const result = await send(route.method, route.path, route.json, await tokenFor(baseUrl, reader));
      expectErrorBody(result, 403, 'FORBIDDEN');
    });
  });

  describe('bad input is a 4xx with the uniform body', () => {
    it.each([
      ['POST', '/events', { eventType: 'x', severity: 'apocalyptic' }, 400],
      ['POST', '/events', { eventType: 'x\u0000y', severity: 'low' }, 400],
      ['POST', '/events', { eventType: 'x', severity: 'low', ip: 'not-an-ip' }, 400],
      ['POST', '/events', { eventType: 'x', severity: 'low', details: 'text' }, 400],
      ['POST', '/events/99999999999999999999/resolve', { notes: 'n' }, 400],
      ['POST', '/events/abc/resolve', { notes: 'n' }, 400],
      ['POST', '/events/1/resolve', {}, 400],
      ['POST', '/policies', { name: 'p1', type: 'nonsense', config: {} }, 400],
      ['POST', '/policies', { name: 'p1', type: 'scanning', config: { responses: ['alert'] } }, 400],
      ['POST', '/policies', { name: 'p1', type: 'scanning', config: [] }, 400],
      [
        'POST',
        '/policies',
        { name: 'p1', type: 'new-ip-login', config: { responses: ['block-ip'], block: { durationSeconds: 1 } } },
        400,
      ],
      [
        'POST',
        '/policies',
        {
          name: 'p1',
          type: 'failed-login-burst',
          config: { threshold: 3, windowSeconds: 60, responses: ['block-ip'] },
        },
        400,
      ],
      [
        'POST',
        '/policies',
        {
          name: 'p1',
          type: 'failed-login-burst',
          config: { threshold: 3, windowSeconds: 60, responses: ['alert'], extra: 1 },
        },
        400,
      ],
      ['PATCH', '/policies/1', { config: { threshold: -1 } }, 400],
      ['PATCH', '/policies/1', { active: null }, 400],
      ['PATCH', '/policies/999', { active: true }, 404],
      ['DELETE', '/policies/999', undefined, 404],
      ['POST', '/blocks', { target: '10.0.0.0/33', durationSeconds: 5, reason: 'r' }, 400],
      ['POST', '/blocks', { target: '192.0.2.1', durationSeconds: 0, reason: 'r' }, 400],
      ['DELETE', '/blocks/999', undefined, 404],
      ['GET', '/events?limit=1000', undefined, 400],
      ['GET', '/events?severity=huge', undefined, 400],
      ['GET', '/events?ip=nope', undefined, 400],
      ['GET', '/events?from=2030-02-01T00:00:00Z&to=2030-01-01T00:00:00Z', undefined, 400],
      ['GET', '/statistics?days=0', undefined, 400],
      ['GET', '/statistics?days=abc', undefined, 400],
      ['GET', '/events?offset=99999999999999999999999', undefined, 400],
    ])('%s %s %j: %i', async (method, path, json, status) => {
      expectErrorBody(await send(method, path, json), status);
    });
  });

  describe('reporting, reading and resolving', () => {
    it('takes an event from another service through an API key that lists security:manage', async () => {
      const issued = await request<{ key: string }>(baseUrl, '/api/v1/api-keys', {
        method: 'POST',
        token: adminToken,
        json: { name: 'backup-service', permissions: ['security:manage'] },
      });
      const reported = await request(baseUrl, `${SECURITY}/events`, {
        method: 'POST',
        headers: { 'x-api-key': issued.body.key },
        json: {
          eventType: 'backup.failed',
          severity: 'high',
          source: 'backup-service',
          details: { target: 's3', error: 'timeout', password: 'hunter2-Secret' },
        },
      });
      expect(reported.status).toBe(202);
      const events = await get<Page<SecurityEventDto>>('/events?type=backup.failed');
      expect(events.body.items).toEqual([
        expect.objectContaining({
          severity: 'high',
          source: 'backup-service',
          threatLevel: 'high',
          details: { target: 's3', error: 'timeout', password: '[REDACTED]' },
        }),
      ]);
      // A key without the permission is refused.
      const readOnly = await request<{ key: string }>(baseUrl, '/api/v1/api-keys', {
        method: 'POST',
        token: adminToken,
        json: { name: 'reader', permissions: ['security:read'] },
      });
      const refused = await request(baseUrl, `${SECURITY}/events`, {
        method: 'POST',
        headers: { 'x-api-key': readOnly.body.key },
        json: { eventType: 'x', severity: 'low' },
      });
      expect(refused.status).toBe(403);
    });

    it('resolves an event once, with notes and who resolved it, and says so when asked twice', async () => {
      const [{ id }] = (await get<Page<SecurityEventDto>>('/events?type=backup.failed')).body.items;
      clock.advance(90_000);
      const resolved = await send<SecurityEventDto>('POST', `/events/${id}/resolve`, { notes: 'disk replaced' });
      expect(resolved.status).toBe(200);
      expect(resolved.body).toMatchObject({
        resolved: true,
        resolutionNotes: 'disk replaced',
        resolvedBy: admin.username,
        resolvedAt: clock.now().toISOString(),
      });
      expectErrorBody(
        await send('POST', `/events/${id}/resolve`, { notes: 'again' }),
        409,
        'SECURITY_EVENT_ALREADY_RESOLVED',
      );
      expectErrorBody(await send('POST', '/events/987654321/resolve', { notes: 'x' }), 404, 'SECURITY_EVENT_NOT_FOUND');
      const open = await get<Page<SecurityEventDto>>('/events?type=backup.failed&resolved=false');
      expect(open.body.total).toBe(0);
    });
  });

  describe('statistics and summary equal hand-counted fixtures', () => {
    it('counts by type, severity, day, ip and user, open vs resolved, and the mean time to resolve', async () => {
      const dataSource = testApp.app.get(DataSource);
      await testApp.app.get(SecurityEventStore).flush();
      await dataSource.query('DELETE FROM security_events');
      const at = (daysAgo: number) => new Date(clock.now().getTime() - daysAgo * DAY);
      // type, severity, ip, user, days ago, resolved after (s)
      const fixtures: [string, string, string | null, string | null, number, number | null][] = [
        ['auth.login.failed', 'low', '203.0.113.1', 'u1', 1, null],
        ['auth.login.failed', 'low', '203.0.113.1', 'u1', 1, 600],
        ['auth.login.failed', 'low', '203.0.113.2', 'u2', 2, null],
        ['security.rule-fired', 'high', '203.0.113.1', null, 2, 1200],
        ['rbac.denied', 'medium', null, 'u1', 3, null],
        ['rbac.denied', 'medium', '203.0.113.3', 'u3', 40, null],
      ];
      for (const [type, severity, ip, user, daysAgo, resolvedAfter] of fixtures) {
        const created = at(daysAgo);
        await dataSource.query(
          `INSERT INTO security_events (event_type, severity, ip_address, user_id, created_at, is_resolved, resolved_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            type,
            severity,
            ip,
            user,
            created,
            resolvedAfter !== null,
            resolvedAfter === null ? null : new Date(created.getTime() + resolvedAfter * 1000),
          ],
        );
      }
      const stats = await get<SecurityStatisticsDto>('/statistics?days=30');
      expect(stats.status).toBe(200);
      expect(stats.body).toEqual({
        from: at(30).toISOString(),
        to: clock.now().toISOString(),
        total: 5,
        open: 3,
        resolved: 2,
        meanTimeToResolveSeconds: 900,
        byType: [
          { key: 'auth.login.failed', count: 3 },
          { key: 'rbac.denied', count: 1 },
          { key: 'security.rule-fired', count: 1 },
        ],
        bySeverity: [
          { key: 'low', count: 3 },
          { key: 'high', count: 1 },
          { key: 'medium', count: 1 },
        ],
        openBySeverity: [
          { key: 'low', count: 2 },
          { key: 'medium', count: 1 },
        ],
        byDay: [
          { key: '2030-03-07', count: 1 },
          { key: '2030-03-08', count: 2 },
          { key: '2030-03-09', count: 2 },
        ],
        topIps: [
          { key: '203.0.113.1', count: 3 },
          { key: '203.0.113.2', count: 1 },
        ],
        topUsers: [
          { key: 'u1', count: 3 },
          { key: 'u2', count: 1 },
        ],
      });
      const all = await get<SecurityStatisticsDto>('/statistics?days=60');
      expect(all.body.total).toBe(6);

      const summary = await get<SecuritySummaryRowDto[]>(
        `/summary?from=${at(2.5).toISOString()}&to=${clock.now().toISOString()}`,
      );
      expect(summary.body).toEqual([
        { day: '2030-03-09', eventType: 'auth.login.failed', severity: 'low', total: 2, open: 1, resolved: 1 },
        { day: '2030-03-08', eventType: 'auth.login.failed', severity: 'low', total: 1, open: 1, resolved: 0 },
        { day: '2030-03-08', eventType: 'security.rule-fired', severity: 'high', total: 1, open: 0, resolved: 1 },
      ]);
    });
  });

  describe('policies', () => {
    it('lists the built-in policies with the seed defaults', async () => {
      const policies = await get<PolicyDto[]>('/policies');
      expect(policies.body.map((policy) => policy.name)).toEqual([
        'failed-login-burst',
        'password-spraying',
        'credential-stuffing',
        'refused-api-key-burst',
        'permission-denial-burst',
        'new-ip-login',
        'scanning',
      ]);
      expect(policies.body[0].config).toMatchObject({ threshold: 10, windowSeconds: 300 });
    });

    it('creates, changes and deletes a policy, each in force at once, and dedups its alerts per subject', async () => {
      const created = await send<PolicyDto>('POST', '/policies', {
        name: 'strict-logins',
        type: 'failed-login-burst',
        priority: 500,
        config: { threshold: 3, windowSeconds: 60, responses: ['alert'], alert: { dedupSeconds: 600 } },
      });
      expect(created.status).toBe(201);
      expect(created.body.config).toMatchObject({ severity: 'high', threshold: 3 });
      expectErrorBody(
        await send('POST', '/policies', {
          name: 'strict-logins',
          type: 'failed-login-burst',
          config: created.body.config,
        }),
        409,
        'POLICY_NAME_TAKEN',
      );
      const badLogin = (ip: string) =>
        requestFrom(ip, baseUrl, '/api/v1/auth/login', {
          method: 'POST',
          json: { username: 'ghost', password: 'nope-Nope-1' },
        });
      for (let i = 0; i < 3; i++) await badLogin('127.0.0.11');
      await settle(testApp.app);
      await eventually(() => {
        expect(webhook.received).toHaveLength(1);
      });
      // The same burst again within the dedup window: counted on the alert, not sent again.
      clock.advance(1_000);
      for (let i = 0; i < 3; i++) await badLogin('127.0.0.11');
      await settle(testApp.app);
      const alerts = await get<Page<AlertDto>>('/alerts');
      expect(alerts.body.items[0]).toMatchObject({ subject: '127.0.0.11', suppressed: 1 });
      expect(webhook.received).toHaveLength(1);
      // Another subject is another alert.
      for (let i = 0; i < 3; i++) await badLogin('127.0.0.12');
      await settle(testApp.app);
      await eventually(() => {
        expect(webhook.received).toHaveLength(2);
      });

      // Raised to 5: three failures no longer fire.
      const patched = await send<PolicyDto>('PATCH', `/policies/${created.body.id}`, {
        config: { ...created.body.config, threshold: 5 },
      });
      expect(patched.status).toBe(200);
      for (let i = 0; i < 3; i++) await badLogin('127.0.0.13');
      await settle(testApp.app);
      expect((await get<Page<AlertDto>>('/alerts')).body.total).toBe(2);
      for (let i = 0; i < 2; i++) await badLogin('127.0.0.13');
      await settle(testApp.app);
      expect((await get<Page<AlertDto>>('/alerts')).body.total).toBe(3);

      expect((await send('DELETE', `/policies/${created.body.id}`)).status).toBe(204);
      for (let i = 0; i < 5; i++) await badLogin('127.0.0.14');
      await settle(testApp.app);
      expect((await get<Page<AlertDto>>('/alerts')).body.total).toBe(3);
      expectErrorBody(await get(`/policies/${created.body.id}`), 404, 'POLICY_NOT_FOUND');
    });

    it('retries a failed delivery with backoff, records each attempt, and gives up after the last', async () => {
      await send('POST', '/policies', {
        name: 'retry-probe',
        type: 'failed-login-burst',
        config: { threshold: 1, windowSeconds: 60, responses: ['alert'] },
      });
      webhook.failNext(100, 503);
      await requestFrom('127.0.0.21', baseUrl, '/api/v1/auth/login', {
        method: 'POST',
        json: { username: 'ghost', password: 'nope-Nope-1' },
      });
      await settle(testApp.app);
      const delivery = async () => {
        await testApp.app.get(AlertDelivery).settled();
        const alerts = await get<Page<AlertDto>>('/alerts');
        return alerts.body.items.find((alert) => alert.subject === '127.0.0.21')?.deliveries[0];
      };
      expect(await delivery()).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 503' });
      // Not due before its backoff: a pass now sends nothing.
      testApp.app.get(AlertDelivery).kick();
      expect((await delivery())?.attempts).toBe(1);
      clock.advance(30_000);
      await eventually(async () => {
        expect((await delivery())?.attempts).toBe(2);
      });
      clock.advance(60_000);
      await eventually(async () => {
        expect(await delivery()).toMatchObject({ status: 'failed', attempts: 3 });
      });
      const failed = await delivery();
      expect(failed?.history.map((attempt) => attempt.error)).toEqual(['HTTP 503', 'HTTP 503', 'HTTP 503']);
      await settle(testApp.app);
      const [alertFailed] = (await get<Page<SecurityEventDto>>('/events?type=security.alert-failed')).body.items;
      expect(alertFailed.details).toEqual({
        alertId: expect.any(String),
        channel: 'webhook',
        attempts: 3,
        lastError: 'HTTP 503',
      });
      webhook.failNext(0);
    });
  });

  describe('blocks by hand', () => {
    it('blocks and lifts a network on request; a spoofed X-Forwarded-For neither escapes nor moves it', async () => {
      const created = await send<{ id: string; network: string; secondsLeft: number }>('POST', '/blocks', {
        target: '127.0.0.31',
        durationSeconds: 120,
        reason: 'manual',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ network: '127.0.0.31/32', secondsLeft: 120 });
      await eventually(async () => {
        expect((await requestFrom('127.0.0.31', baseUrl, '/health/live')).status).toBe(403);
      });
      // TRUST_PROXY is off: the header is not believed either way.
      const spoofed = await requestFrom('127.0.0.31', baseUrl, '/health/live', {
        headers: { 'x-forwarded-for': '192.0.2.200' },
      });
      expect(spoofed.status).toBe(403);
      expect(spoofed.body).toMatchObject({ code: 'IP_BLOCKED' });
      const framed = await requestFrom('127.0.0.32', baseUrl, '/health/live', {
        headers: { 'x-forwarded-for': '127.0.0.31' },
      });
      expect(framed.status).toBe(200);

      expect((await send('DELETE', `/blocks/${created.body.id}`)).status).toBe(204);
      await eventually(async () => {
        expect((await requestFrom('127.0.0.31', baseUrl, '/health/live')).status).toBe(200);
      });
      expectErrorBody(await send('DELETE', `/blocks/${created.body.id}`), 404, 'BLOCK_NOT_FOUND');
      const history = await get<Page<{ liftedBy: string }>>('/blocks?active=false');
      expect(history.body.items[0]).toMatchObject({ liftedBy: admin.username });
    });
  });

  describe('access summary', () => {
    it('lists users with their role, grants and each grant’s expiry', async () => {
      const user = await createUser(testApp.app, { role: Role.Auditor, username: 'aaa-reviewed' });
      await createGrant(baseUrl, adminToken, { userId: user.id, permission: 'security:read' });
      await createGrant(baseUrl, adminToken, {
        userId: user.id,
        permission: 'logs:read',
        expiresAt: new Date(clock.now().getTime() + 2 * DAY).toISOString(),
      });
      const summary = await get<Page<UserAccessDto>>('/access-summary?limit=1');
      expect(summary.body.total).toBeGreaterThan(1);
      expect(summary.body.items).toEqual([
        expect.objectContaining({
          username: 'aaa-reviewed',
          role: 'AUDITOR',
          rolePermissions: expect.arrayContaining(['audit:read']),
          grants: [
            expect.objectContaining({ permission: 'security:read', status: 'permanent', expiresAt: null }),
            expect.objectContaining({ permission: 'logs:read', status: 'expiring' }),
          ],
        }),
      ]);
      clock.advance(3 * DAY);
      await tokenFor(baseUrl, admin).then((token) => (adminToken = token));
      const later = await get<Page<UserAccessDto>>('/access-summary?limit=1');
      expect(later.body.items[0].grants[1]).toMatchObject({ permission: 'logs:read', status: 'expired' });
    });
  });
});
