import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { Role } from '../../src/rbac/role';
import { request } from '../support/http';
import { rawExchange } from '../support/raw-http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, login, tokenFor } from '../support/users';
import { auditRows } from './audit-support';

/**
 * What one hostile client sends, none of which may change what happens to
 * anyone else: every later request is still answered promptly and recorded.
 */
async function sendPoisons(baseUrl: string, token: string): Promise<void> {
  const raw = (path: string) => rawExchange(baseUrl, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await raw('/api/v1/nope?x=%00');
  await raw(`/api/v1/agents/${randomUUID()}%00`);
  await raw('/api/v1/agents?status=%00');
  await raw('/api/v1/nope?x=%ED%A0%80');
  await rawExchange(baseUrl, 'GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nUser-Agent: a\u0000b\r\n\r\n');
  for (const rawBody of ['{"name":"\\u0000"}', '{"name":"\\ud800"}', '{"name":"x","config":{"n":1e400}}']) {
    await request(baseUrl, '/api/v1/agents', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      rawBody,
    });
  }
  await request(baseUrl, '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'x-forwarded-for': 'not-an-ip, also\u00ffnot' },
    json: { username: `ghost\u{1F47B}${'\u00e9'.repeat(50)}`, password: 'x'.repeat(1000) },
  });
}

describe('audit: one hostile request never jams the trail', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    testApp = await createTestApp({ TRUST_PROXY: 'true', AUDIT_BUFFER_MAX: '200' });
    baseUrl = testApp.baseUrl;
    token = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
  });
  afterAll(() => testApp.close());

  it('after poisons and 1,000 reads, every state-changing request succeeds promptly and is recorded; readiness stays truthful', async () => {
    await sendPoisons(baseUrl, token);
    for (let batch = 0; batch < 20; batch++) {
      const reads = Array.from({ length: 50 }, (_, i) =>
        request(baseUrl, i % 2 === 0 ? '/api/v1/nope' : '/api/v1/agents', i % 2 === 0 ? {} : { token }),
      );
      expect((await Promise.all(reads)).every((result) => result.status === 404 || result.status === 200)).toBe(true);
      expect((await request(baseUrl, '/health/ready')).status).toBe(200);
    }
    const names = Array.from({ length: 20 }, () => `after-poison-${randomUUID()}`);
    const started = Date.now();
    const created = await Promise.all(
      names.map((name) =>
        request<{ id: string }>(baseUrl, '/api/v1/agents', {
          method: 'POST',
          token,
          json: { name },
          headers: { 'x-request-id': name },
        }),
      ),
    );
    expect(created.map((result) => result.status)).toEqual(names.map(() => 201));
    expect(Date.now() - started).toBeLessThan(10_000);
    const rows = await auditRows(testApp.app, "action_type = 'agents.create' AND trace_id LIKE 'after-poison-%'");
    expect(rows.map((row) => row.resource_id).sort()).toEqual(created.map((result) => result.body.id).sort());
    expect((await request(baseUrl, '/health/ready')).status).toBe(200);
  });

  it('records the poisons themselves, storably, and never a placeholder for lack of care', async () => {
    const rows = await auditRows(testApp.app, "request_path LIKE '/api/v1/nope%' OR action_type = 'auth.login'");
    expect(rows.length).toBeGreaterThan(0);
    const placeholders = await auditRows(testApp.app, "action_type = 'audit.unstorable-record'");
    expect(placeholders).toEqual([]);
    const [ghost] = await auditRows(testApp.app, "action_type = 'auth.login.failed' AND username LIKE 'ghost%'");
    expect(ghost).toEqual(expect.objectContaining({ success: false }));
    // X-Forwarded-For named no address: the connection's own stands in.
    expect(ghost.ip_address).toBe('127.0.0.1');
  });

  it('stores a login from behind a proxy that sent no ip at all with no ip, not a failed insert', async () => {
    const user = await createUser(testApp.app, { role: Role.Operator });
    const response = await request<{ sessionId: string }>(baseUrl, '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'x-forwarded-for': 'garbage' },
      json: { username: user.username, password: user.password },
    });
    expect(response.status).toBe(200);
    const again = await login(baseUrl, user);
    expect(again.status).toBe(200);
  });
});

describe('audit: an anonymous flood cannot push out the rows of authenticated callers', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({ AUDIT_BUFFER_MAX: '100', AUDIT_BATCH_MAX: '50' });
  });
  afterAll(() => testApp.close());

  it('drops (and counts) anonymous rows while the outbox is stuck, holds authenticated callers back instead, and says so in readiness', async () => {
    const { baseUrl } = testApp;
    const token = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
    const blocker = await lockTable(testApp.databaseUrl, 'audit_outbox');
    let authenticated: Promise<{ status: number }[]> | undefined;
    try {
      const flood = Array.from({ length: 300 }, () => request(baseUrl, '/api/v1/no-such-route'));
      expect((await Promise.all(flood)).every((result) => result.status === 404)).toBe(true);
      authenticated = Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          request(baseUrl, '/api/v1/agents', { token, headers: { 'x-request-id': `kept-${i}` } }),
        ),
      );
      await waitUntil(async () => (await request(baseUrl, '/health/ready')).status === 503);
    } finally {
      await blocker.release();
    }
    expect((await authenticated).every((result) => result.status === 200)).toBe(true);
    await waitUntil(async () => (await request(baseUrl, '/health/ready')).status === 200);
    const kept = await auditRows(testApp.app, "trace_id LIKE 'kept-%'");
    expect(kept).toHaveLength(150);
    const metrics = await request<string>(baseUrl, '/metrics', { token });
    const dropped = /append_store_rows_lost_total\{queue="audit_anonymous",reason="dropped"\} (\d+)/.exec(metrics.body);
    expect(Number(dropped?.[1])).toBeGreaterThan(0);
    expect(metrics.body).toMatch(/append_store_rows_lost_total\{queue="audit_kept",reason="dropped"\} 0/);
  });
});

/** Holds an exclusive lock on a table from outside the app until released: its writers wait, as on a stuck disk. */
async function lockTable(databaseUrl: string, table: string): Promise<{ release: () => Promise<void> }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    release: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
