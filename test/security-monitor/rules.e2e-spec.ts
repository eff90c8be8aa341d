import { DataSource } from 'typeorm';
import type { BlockDto } from '../../src/security-monitor/dto/block.dto';
import type { SecurityEventDto } from '../../src/security-monitor/dto/security-event.dto';
import { Role } from '../../src/rbac/role';
import { userRow } from '../auth/auth-helpers';
import type { Page } from '../rbac/rbac-fixtures';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, login, type TestUser, tokenFor } from '../support/users';
import { onlyPolicies, SECURITY, setPolicy, settle } from './monitor-support';

interface FiredDetails {
  policy: { name: string };
  subject: string;
  count: number;
  simulation: boolean;
  evidence: { attributes: string[]; details: string[]; userAgents: string[] } | null;
  responses: { response: string; outcome: string }[];
}

describe('security monitor: each built-in rule, driven over HTTP', () => {
  const clock = new TestClock();
  let testApp: TestApp;
  let baseUrl: string;
  let admin: TestUser;
  let adminToken: string;

  const post = (path: string, ip: string, json: unknown, headers: Record<string, string> = {}) =>
    request(baseUrl, path, { method: 'POST', json, headers: { 'x-forwarded-for': ip, ...headers } });
  const badLogin = (ip: string, username: string, userAgent = 'curl/8') =>
    post('/api/v1/auth/login', ip, { username, password: 'not-the-Password-9' }, { 'user-agent': userAgent });

  async function fired(policy: string): Promise<FiredDetails[]> {
    await settle(testApp.app);
    const events = await request<Page<SecurityEventDto>>(
      baseUrl,
      `${SECURITY}/events?type=security.rule-fired&limit=100`,
      {
        token: adminToken,
      },
    );
    return events.body.items
      .map((event) => event.details as FiredDetails)
      .filter((details) => details.policy.name === policy);
  }

  async function activeBlocks(): Promise<BlockDto[]> {
    return (await request<Page<BlockDto>>(baseUrl, `${SECURITY}/blocks`, { token: adminToken })).body.items;
  }

  beforeAll(async () => {
    testApp = await createTestApp({ TRUST_PROXY: 'true', SECURITY_ALLOWLIST_IPS: '198.51.100.0/24' }, { clock });
    baseUrl = testApp.baseUrl;
    admin = await createUser(testApp.app, { role: Role.Admin });
  });
  afterAll(() => testApp.close());
  beforeEach(async () => {
    // Each case starts on fresh windows and no blocks.
    clock.advance(2 * 86_400_000);
    await testApp.app
      .get(DataSource)
      .query('UPDATE security_blocks SET lifted_at = $1 WHERE lifted_at IS NULL', [clock.now()]);
    await testApp.app.get(DataSource).query('SELECT pg_notify($1, $2)', ['sentinel_security_blocks', 'changed']);
    // Two days on, the session ended too.
    adminToken = await tokenFor(baseUrl, admin);
  });

  it('password spraying: five usernames from one ip get it blocked for an hour, with the usernames as evidence', async () => {
    await onlyPolicies(testApp.app, 'password-spraying');
    for (const name of ['alice', 'bob', 'carol', 'dave']) await badLogin('203.0.113.20', name);
    // The same username again does not count as another one.
    await badLogin('203.0.113.20', 'alice');
    expect(await fired('password-spraying')).toEqual([]);
    await badLogin('203.0.113.20', 'erin', 'python-requests/2');
    const [details] = await fired('password-spraying');
    expect(details).toMatchObject({ subject: '203.0.113.20', count: 5, simulation: false });
    expect(details.evidence?.attributes.sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect(details.evidence?.userAgents.sort()).toEqual(['curl/8', 'python-requests/2']);
    expect(await activeBlocks()).toEqual([expect.objectContaining({ network: '203.0.113.20/32', secondsLeft: 3600 })]);
  });

  it('credential stuffing: one username from five ips locks the account and ends its sessions', async () => {
    await onlyPolicies(testApp.app, 'credential-stuffing');
    const victim = await createUser(testApp.app, { role: Role.Auditor });
    const session = await tokenFor(baseUrl, victim);
    for (let i = 1; i <= 4; i++) await badLogin(`192.0.2.${i}`, victim.username);
    await settle(testApp.app);
    expect((await request(baseUrl, '/api/v1/auth/me', { token: session })).status).toBe(200);
    await badLogin('192.0.2.5', victim.username);
    const [details] = await fired('credential-stuffing');
    expect(details).toMatchObject({ subject: victim.username.toLowerCase(), count: 5 });
    expect(details.responses).toEqual([
      expect.objectContaining({ response: 'lock-account', outcome: 'done' }),
      expect.objectContaining({ response: 'alert', outcome: 'done' }),
    ]);
    expect((await userRow(testApp.app, victim.id)).locked_until?.getTime()).toBe(clock.now().getTime() + 30 * 60_000);
    expect((await request(baseUrl, '/api/v1/auth/me', { token: session })).status).toBe(401);
    // Locked: even the right password is refused, from a fresh ip.
    expect((await login(baseUrl, victim)).status).toBe(401);
    expect(await activeBlocks()).toEqual([]);
  });

  it('refused API keys: ten from one ip get it blocked', async () => {
    await onlyPolicies(testApp.app, 'refused-api-key-burst');
    for (let i = 0; i < 10; i++) {
      const refused = await request(baseUrl, '/api/v1/agents', {
        headers: { 'x-forwarded-for': '203.0.113.30', 'x-api-key': `snt_${'a'.repeat(16)}_guess${i}` },
      });
      expect(refused.status).toBe(401);
    }
    const [details] = await fired('refused-api-key-burst');
    expect(details).toMatchObject({ subject: '203.0.113.30', count: 10 });
    expectErrorBody(
      await request(baseUrl, '/health/live', { headers: { 'x-forwarded-for': '203.0.113.30' } }),
      403,
      'IP_BLOCKED',
    );
  });

  it('permission denials: ten for one user raise the alert-only rule, and nothing is blocked', async () => {
    await onlyPolicies(testApp.app, 'permission-denial-burst');
    const operator = await createUser(testApp.app, { role: Role.Operator });
    const token = await tokenFor(baseUrl, operator);
    for (let i = 0; i < 10; i++) {
      expect(
        (await request(baseUrl, '/api/v1/audit-logs', { token, headers: { 'x-forwarded-for': '203.0.113.40' } }))
          .status,
      ).toBe(403);
    }
    const [details] = await fired('permission-denial-burst');
    expect(details).toMatchObject({ subject: operator.id, count: 10 });
    expect(details.evidence?.attributes).toEqual(['audit:read']);
    expect(await activeBlocks()).toEqual([]);
  });

  it('login from a new ip: the second ip a user logs in from fires, the first and a known one do not', async () => {
    await onlyPolicies(testApp.app, 'new-ip-login');
    const user = await createUser(testApp.app, { role: Role.Auditor });
    const loginFrom = (ip: string) =>
      post('/api/v1/auth/login', ip, { username: user.username, password: user.password });
    expect((await loginFrom('203.0.113.50')).status).toBe(200);
    expect((await loginFrom('203.0.113.50')).status).toBe(200);
    expect(await fired('new-ip-login')).toEqual([]);
    expect((await loginFrom('203.0.113.51')).status).toBe(200);
    expect(await fired('new-ip-login')).toEqual([expect.objectContaining({ subject: user.id })]);
    expect((await loginFrom('203.0.113.51')).status).toBe(200);
    expect(await fired('new-ip-login')).toHaveLength(1);
  });

  it('scanning: 404s and 401s from one ip get it blocked, with the paths as evidence', async () => {
    await onlyPolicies(testApp.app, 'scanning');
    await setPolicy(testApp.app, 'scanning', { config: { threshold: 6 } });
    const probe = (path: string) => request(baseUrl, path, { headers: { 'x-forwarded-for': '203.0.113.60' } });
    for (const path of ['/wp-login.php', '/.env', '/admin', '/api/v1/agents', '/api/v1/users']) {
      expect([401, 404]).toContain((await probe(path)).status);
    }
    expect(await fired('scanning')).toEqual([]);
    await probe('/phpmyadmin');
    const [details] = await fired('scanning');
    expect(details.evidence?.details).toEqual(expect.arrayContaining(['GET /.env', 'GET /api/v1/agents']));
    expectErrorBody(await probe('/health/live'), 403, 'IP_BLOCKED');
  });

  it('an allowlisted network is never blocked, however hard it tries', async () => {
    await onlyPolicies(testApp.app, 'failed-login-burst', 'password-spraying', 'scanning');
    for (let i = 0; i < 30; i++) await badLogin('198.51.100.9', `user${i}`);
    for (let i = 0; i < 60; i++)
      await request(baseUrl, `/nothing-${i}`, { headers: { 'x-forwarded-for': '198.51.100.9' } });
    await settle(testApp.app);
    expect(await fired('failed-login-burst')).toEqual([]);
    expect(await activeBlocks()).toEqual([]);
    expect((await request(baseUrl, '/health/live', { headers: { 'x-forwarded-for': '198.51.100.9' } })).status).toBe(
      200,
    );
    // Nor by hand: a block covering it is refused.
    const manual = await request(baseUrl, `${SECURITY}/blocks`, {
      method: 'POST',
      token: adminToken,
      json: { target: '198.51.0.0/16', durationSeconds: 60, reason: 'too broad' },
    });
    expectErrorBody(manual, 409, 'ALLOWLISTED');
  });

  it('simulation records what the rule would do and does nothing', async () => {
    await onlyPolicies(testApp.app, 'failed-login-burst');
    await setPolicy(testApp.app, 'failed-login-burst', { simulation: true });
    for (let i = 0; i < 10; i++) await badLogin('203.0.113.70', `sim${i}`);
    const [details] = await fired('failed-login-burst');
    expect(details.simulation).toBe(true);
    expect(details.responses).toEqual([
      { response: 'block-ip', outcome: 'simulated' },
      { response: 'alert', outcome: 'simulated' },
    ]);
    expect(await activeBlocks()).toEqual([]);
    expect((await request(baseUrl, '/health/live', { headers: { 'x-forwarded-for': '203.0.113.70' } })).status).toBe(
      200,
    );
    const alerts = await request<Page<{ title: string }>>(baseUrl, `${SECURITY}/alerts?limit=100`, {
      token: adminToken,
    });
    expect(alerts.body.items.filter((alert) => alert.title.includes('203.0.113.70'))).toEqual([]);
    await setPolicy(testApp.app, 'failed-login-burst', { simulation: false });
  });

  it('blocks an IPv6 client by its /64, so the next address of the same network is refused too', async () => {
    await onlyPolicies(testApp.app, 'failed-login-burst');
    for (let i = 0; i < 10; i++) await badLogin('2001:db8:1:2::10', `v6user${i}`);
    await settle(testApp.app);
    expect(await activeBlocks()).toEqual([expect.objectContaining({ network: '2001:db8:1:2::/64' })]);
    const neighbour = await request(baseUrl, '/health/live', {
      headers: { 'x-forwarded-for': '2001:db8:1:2:ffff::1' },
    });
    expectErrorBody(neighbour, 403, 'IP_BLOCKED');
    const elsewhere = await request(baseUrl, '/health/live', { headers: { 'x-forwarded-for': '2001:db8:1:3::1' } });
    expect(elsewhere.status).toBe(200);
  });
});
