import { randomUUID } from 'node:crypto';
import { Controller, HttpCode, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditTrail } from '../../src/audit/audit-trail.service';
import { Public } from '../../src/common/decorators/public.decorator';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { discoverRoutes, servedPath } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';
import { waitUntil } from '../support/wait';
import { auditRows, cutDatabase } from './audit-support';

const SOME_UUID = '3f1c7a9e-8a51-4c2b-9d43-6b6f0f1e2a10';

/** A state-changing route that needs no database, so a database outage shows only through the audit trail. */
@Public()
@Controller('test-only-audit')
class NoDatabaseController {
  @Post('ping')
  @HttpCode(200)
  ping(): { pong: true } {
    return { pong: true };
  }
}

describe('audit: recording', () => {
  let testApp: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    testApp = await createTestApp({}, { controllers: [NoDatabaseController] });
    baseUrl = testApp.baseUrl;
  });
  afterAll(() => testApp.close());

  it('chains, without any request here, a row another instance committed and never chained', async () => {
    const traceId = `orphan-${randomUUID()}`;
    // What an instance killed between its commit and its chainer's pass leaves behind.
    await testApp.app
      .get(DataSource)
      .query(
        `INSERT INTO audit_outbox (created_at, action_type, success, trace_id) VALUES (now(), 'test.orphan', true, $1)`,
        [traceId],
      );
    const chained = (): Promise<{ hash: string }[]> =>
      testApp.app.get(DataSource).query('SELECT hash FROM audit_logs WHERE trace_id = $1', [traceId]);
    await waitUntil(async () => (await chained()).length === 1, 10_000);
    const admin = await createUser(testApp.app, { role: Role.Admin });
    const verify = await request(baseUrl, '/api/v1/audit-logs/verify', { token: await tokenFor(baseUrl, admin) });
    expect(verify.body).toMatchObject({ valid: true });
  });

  it('records one row for every route of every controller, even when the request is refused', async () => {
    const routes = discoverRoutes(testApp.app).filter((route) => !route.path.startsWith('/health'));
    expect(routes.length).toBeGreaterThan(40);
    const sent = await Promise.all(
      routes.map(async (route) => {
        const traceId = `walk-${randomUUID()}`;
        const template = servedPath(testApp.app, route);
        const path = template.replace(/:\w+/g, SOME_UUID);
        await request(baseUrl, path, {
          method: route.method,
          headers: { 'x-request-id': traceId },
          json: route.method === 'GET' ? undefined : {},
        });
        return { route, template, traceId };
      }),
    );
    const rows = await auditRows(testApp.app, "trace_id LIKE 'walk-%'");
    for (const { route, template, traceId } of sent) {
      const matching = rows.filter((row) => row.trace_id === traceId);
      expect({ route: `${route.method} ${route.path}`, rows: matching.length }).toEqual({
        route: `${route.method} ${route.path}`,
        rows: 1,
      });
      expect(matching[0].metadata?.route).toBe(template);
      expect(matching[0].request_method).toBe(route.method);
    }
  });

  it('records guard refusals with allowed = false: 401 and 403', async () => {
    const operator = await createUser(testApp.app, { role: Role.Operator });
    const token = await tokenFor(baseUrl, operator);
    await request(baseUrl, '/api/v1/users', { headers: { 'x-request-id': 'refused-401' } });
    await request(baseUrl, '/api/v1/users', { token, headers: { 'x-request-id': 'refused-403' } });
    // The request's own row (an event it raised, such as rbac.denied, has a row of its own, with no method).
    const [unauthenticated] = await auditRows(testApp.app, "trace_id = 'refused-401' AND request_method IS NOT NULL");
    expect(unauthenticated).toEqual(
      expect.objectContaining({ response_status: 401, allowed: false, success: false, action_type: 'users.list' }),
    );
    const [forbidden] = await auditRows(testApp.app, "trace_id = 'refused-403' AND request_method IS NOT NULL");
    expect(forbidden).toEqual(
      expect.objectContaining({
        response_status: 403,
        allowed: false,
        user_id: operator.id,
        username: operator.username,
      }),
    );
    expect(forbidden.error_message).toEqual(expect.any(String));
    expect(forbidden.error_code).toBe('FORBIDDEN');
    const denials = await auditRows(testApp.app, "trace_id = 'refused-403' AND action_type = 'rbac.denied'");
    expect(denials).toEqual([
      expect.objectContaining({
        user_id: operator.id,
        success: false,
        action_details: { permissions: ['users:manage'] },
      }),
    ]);
  });

  it('records requests that fail validation, with the permission decision allowed', async () => {
    const admin = await createUser(testApp.app, { role: Role.Admin });
    const token = await tokenFor(baseUrl, admin);
    const result = await request(baseUrl, '/api/v1/agents', {
      method: 'POST',
      token,
      json: { name: 42 },
      headers: { 'x-request-id': 'invalid-body' },
    });
    expectErrorBody(result, 400);
    const [row] = await auditRows(testApp.app, "trace_id = 'invalid-body'");
    expect(row).toEqual(
      expect.objectContaining({ response_status: 400, allowed: true, success: false, action_type: 'agents.create' }),
    );
  });

  it('names the resource acted on from the route scope', async () => {
    const admin = await createUser(testApp.app, { role: Role.Admin });
    const token = await tokenFor(baseUrl, admin);
    const agent = await request<{ id: string }>(baseUrl, '/api/v1/agents', {
      method: 'POST',
      token,
      json: { name: `scoped-${randomUUID()}` },
    });
    await request(baseUrl, `/api/v1/agents/${agent.body.id}`, {
      method: 'PATCH',
      token,
      json: { status: 'paused' },
      headers: { 'x-request-id': 'scoped-patch' },
    });
    const [row] = await auditRows(testApp.app, "trace_id = 'scoped-patch'");
    expect(row).toEqual(
      expect.objectContaining({ action_type: 'agents.update', resource_type: 'agent', resource_id: agent.body.id }),
    );
    expect(row.action_details).toEqual({ params: { id: agent.body.id }, body: { status: 'paused' } });
  });

  it('stores quotes, backslashes and SQL in the row of a state-changing request exactly as they were sent', async () => {
    const admin = await createUser(testApp.app, { role: Role.Admin });
    const token = await tokenFor(baseUrl, admin);
    const hostile = `it's \\'; DROP TABLE audit_logs; -- $$ $1 \\x00 E'\\n' "q" \u00e9\u{1F47B}`;
    const userAgent = `agent 'quoted' \\ "x" $$`;
    const agent = await request<{ id: string }>(baseUrl, '/api/v1/agents', {
      method: 'POST',
      token,
      json: { name: `quoted-${randomUUID()}` },
    });
    const patched = await request(baseUrl, `/api/v1/agents/${agent.body.id}`, {
      method: 'PATCH',
      token,
      json: { description: hostile },
      headers: { 'x-request-id': 'quoted-patch', 'user-agent': userAgent },
    });
    expect(patched.status).toBe(200);
    const [row] = await auditRows(testApp.app, "trace_id = 'quoted-patch'");
    expect(row).toEqual(
      expect.objectContaining({
        action_type: 'agents.update',
        user_agent: userAgent,
        response_status: 200,
        success: true,
      }),
    );
    expect(row.action_details).toEqual({ params: { id: agent.body.id }, body: { description: hostile } });
  });

  it('never stores a password, token or key, and never a whole body', async () => {
    const user = await createUser(testApp.app, { role: Role.Admin });
    const token = await tokenFor(baseUrl, user);
    const newPassword = 'Fresh-orchid-Lantern-58';
    await request(baseUrl, '/api/v1/auth/password', {
      method: 'POST',
      token,
      json: { currentPassword: user.password, newPassword },
    });
    const fresh = await tokenFor(baseUrl, { username: user.username, password: newPassword });
    const issued = await request<{ key: string }>(baseUrl, '/api/v1/api-keys', {
      method: 'POST',
      token: fresh,
      json: { name: 'k' },
    });
    await request(baseUrl, '/api/v1/auth/me', { headers: { 'x-api-key': issued.body.key } });
    await request(baseUrl, '/api/v1/proposals', {
      method: 'POST',
      token: fresh,
      json: { title: 'big', diff: 'd'.repeat(20_000) },
      headers: { 'x-request-id': 'big-body' },
    });

    const everything = JSON.stringify(await auditRows(testApp.app));
    for (const secret of [
      user.password,
      newPassword,
      token,
      fresh,
      issued.body.key,
      issued.body.key.split('_').slice(2).join('_'),
    ]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).toContain('[REDACTED]');
    const [bigBody] = await auditRows(testApp.app, "trace_id = 'big-body'");
    expect(JSON.stringify(bigBody.action_details).length).toBeLessThan(1000);
  });

  it('keeps no value of a field the route does not take: a password sent under another name stays out', async () => {
    const user = await createUser(testApp.app, { role: Role.Operator });
    const traceId = `undeclared-${randomUUID()}`;
    const refused = await request(baseUrl, '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'x-request-id': traceId },
      json: { username: user.username, password: user.password, pw2: user.password, note: 'plain words' },
    });
    expectErrorBody(refused, 400);

    const [row] = await auditRows(testApp.app, 'trace_id = $1', [traceId]);
    expect(JSON.stringify(row)).not.toContain(user.password);
    expect(row.action_details).toEqual({
      body: { username: user.username, password: '[REDACTED]', pw2: '[UNDECLARED FIELD]', note: '[UNDECLARED FIELD]' },
    });
  });

  it('names an API key by id on the rows of requests made with it', async () => {
    const admin = await createUser(testApp.app, { role: Role.Admin });
    const token = await tokenFor(baseUrl, admin);
    const issued = await request<{ id: string; key: string }>(baseUrl, '/api/v1/api-keys', {
      method: 'POST',
      token,
      json: { name: 'named' },
    });
    await request(baseUrl, '/api/v1/agents', { headers: { 'x-api-key': issued.body.key, 'x-request-id': 'via-key' } });
    const [row] = await auditRows(testApp.app, "trace_id = 'via-key'");
    expect(row).toEqual(
      expect.objectContaining({ api_key_id: issued.body.id, user_id: admin.id, response_status: 200 }),
    );
  });

  it('has the row of a state-changing request committed before the response arrives', async () => {
    const admin = await createUser(testApp.app, { role: Role.Admin });
    const token = await tokenFor(baseUrl, admin);
    const traceIds = Array.from({ length: 20 }, () => `durable-${randomUUID()}`);
    const results = await Promise.all(
      traceIds.map((traceId) =>
        request(baseUrl, '/api/v1/agents', {
          method: 'POST',
          token,
          json: { name: traceId },
          headers: { 'x-request-id': traceId },
        }),
      ),
    );
    expect(results.every((result) => result.status === 201)).toBe(true);
    // Read straight from the tables without flushing: the rows must already be committed, chained or not yet.
    const rows = await testApp.app.get(DataSource).query<{ trace_id: string }[]>(
      `SELECT trace_id FROM audit_logs WHERE trace_id LIKE 'durable-%' AND request_method IS NOT NULL
       UNION ALL SELECT trace_id FROM audit_outbox WHERE trace_id LIKE 'durable-%' AND request_method IS NOT NULL`,
    );
    expect(rows.map((row) => row.trace_id).sort()).toEqual([...traceIds].sort());
  });

  it('records a lockout with the account it locked', async () => {
    const user = await createUser(testApp.app, { role: Role.Operator });
    for (let attempt = 0; attempt < 5; attempt++) {
      await request(baseUrl, '/api/v1/auth/login', {
        method: 'POST',
        json: { username: user.username, password: 'wrong-password!' },
      });
    }
    const rows = await auditRows(testApp.app, "action_type = 'auth.account.locked' AND resource_id = $1", [user.id]);
    expect(rows).toEqual([
      expect.objectContaining({ username: user.username, user_id: user.id, resource_type: 'user', success: true }),
    ]);
  });
});

// Each test below builds its own app: passport keeps strategies in one registry per process, so two
// apps alive at once in a test file would share (and, on close, break) each other's strategies.
describe('audit: rate-limited requests', () => {
  it('records a 429 with allowed = false', async () => {
    const limited = await createTestApp({ LOGIN_RATE_LIMIT_PER_MINUTE: '1' });
    try {
      for (const attempt of ['rate-1', 'rate-2']) {
        await request(limited.baseUrl, '/api/v1/auth/login', {
          method: 'POST',
          json: { username: 'nobody', password: 'wrong-password' },
          headers: { 'x-request-id': attempt },
        });
      }
      const [throttled] = await auditRows(limited.app, "trace_id = 'rate-2'");
      expect(throttled).toEqual(
        expect.objectContaining({ response_status: 429, allowed: false, action_type: 'auth.login' }),
      );
    } finally {
      await limited.close();
    }
  });
});

describe('audit: when the database is unreachable', () => {
  it.each([
    ['closed', 503],
    ['open', 200],
  ])('AUDIT_FAIL_MODE=%s answers a state-changing request with %i', async (mode, expected) => {
    const testApp = await createTestApp({ AUDIT_FAIL_MODE: mode }, { controllers: [NoDatabaseController] });
    const restore = await cutDatabase(testApp.databaseUrl);
    try {
      const result = await request(testApp.baseUrl, '/api/v1/test-only-audit/ping', { method: 'POST', json: {} });
      expect(result.status).toBe(expected);
      if (expected === 503) expectErrorBody(result, 503);
      else expect(testApp.app.get(AuditTrail).stats.lost).toBeGreaterThan(0);
    } finally {
      await restore();
      await testApp.close();
    }
  });

  it('keeps read records in its buffer and writes them once the database is back', async () => {
    const testApp = await createTestApp();
    const restore = await cutDatabase(testApp.databaseUrl);
    try {
      await request(testApp.baseUrl, '/health/live');
      await request(testApp.baseUrl, '/api/v1/agents', { headers: { 'x-request-id': 'while-down' } });
    } finally {
      await restore();
    }
    try {
      const deadline = Date.now() + 20_000;
      let rows = await auditRows(testApp.app, "trace_id = 'while-down'");
      while (rows.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        rows = await auditRows(testApp.app, "trace_id = 'while-down'");
      }
      expect(rows).toHaveLength(1);
    } finally {
      await testApp.close();
    }
  });
});
