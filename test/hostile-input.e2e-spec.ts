import { randomUUID } from 'node:crypto';
import { Controller, Get, HttpCode, Injectable, type OnModuleDestroy, Post } from '@nestjs/common';
import { Audit } from '../src/audit/decorators/audit.decorator';
import { Public } from '../src/common/decorators/public.decorator';
import { Role } from '../src/rbac/role';
import { auditRows } from './audit/audit-support';
import { expectErrorBody, request } from './support/http';
import { rawExchange } from './support/raw-http';
import { createTestApp, type TestApp } from './support/test-app';
import { createUser, tokenFor } from './support/users';

const UNIFORM_KEYS = ['code', 'error', 'message', 'statusCode', 'traceId'];

/** A provider whose shutdown takes a while, as a backup being aborted does. */
@Injectable()
class SlowTeardown implements OnModuleDestroy {
  async onModuleDestroy(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 600));
  }
}

/** A route that answers slowly, so a request can still be in flight when shutdown begins. */
@Public()
@Controller('test-only-slow')
class SlowController {
  @Get()
  @Audit('test.slow')
  async slow(): Promise<{ done: true }> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { done: true };
  }

  @Post('echo')
  @Audit('test.echo')
  @HttpCode(200)
  echo(): { ok: true } {
    return { ok: true };
  }
}

function deepJson(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

describe('hostile input: every error has the uniform body, and none is a 500', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let adminToken: string;

  beforeAll(async () => {
    testApp = await createTestApp({}, { controllers: [SlowController] });
    baseUrl = testApp.baseUrl;
    adminToken = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
  });
  afterAll(() => testApp.close());

  it.each([
    ['a malformed percent-escape', '/api/v1/users/%zz', 400, 'BAD_URL'],
    ['a path parameter over 100 characters', `/api/v1/agents/${'a'.repeat(101)}`, 414, 'PATH_PARAMETER_TOO_LONG'],
  ])("answers Fastify's routing error for %s with the uniform body", async (_label, path, status, code) => {
    const result = await request(baseUrl, path, { token: adminToken });
    expectErrorBody(result, status, code);
    expect(JSON.stringify(result.body)).not.toContain('FST_');
  });

  it('answers headers over the limit and an unknown method with the uniform body, and stays up', async () => {
    const [tooLarge] = await rawExchange(
      baseUrl,
      `GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    );
    expect(tooLarge.status).toBe(431);
    expect(Object.keys(JSON.parse(tooLarge.body) as object).sort()).toEqual(UNIFORM_KEYS);
    expect(tooLarge.headers['x-request-id']).toMatch(/^[\da-f]{32}$/);
    const [unknownMethod] = await rawExchange(baseUrl, 'FROB /api/v1/agents HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(unknownMethod.status).toBe(400);
    expect(JSON.parse(unknownMethod.body)).toEqual(expect.objectContaining({ code: 'MALFORMED_REQUEST' }));
    const [nulInHeader] = await rawExchange(
      baseUrl,
      'GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nX-Evil: a\u0000b\r\n\r\n',
    );
    expect(nulInHeader.status).toBe(400);
    expect((await request(baseUrl, '/health/ready')).status).toBe(200);
  });

  it('refuses a body that is not JSON with 415, and never records what it held', async () => {
    const password = `Not-stored-${randomUUID()}`;
    const result = await request(baseUrl, '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'text-plain-login' },
      rawBody: JSON.stringify({ username: 'admin', password }),
    });
    expectErrorBody(result, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const rows = await auditRows(testApp.app, "trace_id = 'text-plain-login'");
    expect(rows).toEqual([expect.objectContaining({ action_type: 'auth.login', response_status: 415 })]);
    expect(JSON.stringify(rows)).not.toContain(password);
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      const other = await request(baseUrl, '/api/v1/agents', {
        method: 'POST',
        token: adminToken,
        headers: { 'content-type': type },
        rawBody: 'name=a',
      });
      expectErrorBody(other, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('refuses JSON nested 2,000 deep with a 400 on the login route and every other body route', async () => {
    for (const [path, token] of [
      ['/api/v1/auth/login', undefined],
      ['/api/v1/agents', adminToken],
      ['/api/v1/users', adminToken],
      ['/api/v1/proposals', adminToken],
      ['/api/v1/api-toggles', adminToken],
      ['/api/v1/rbac/grants', adminToken],
      ['/api/v1/api-keys', adminToken],
      ['/api/v1/metrics/api-calls', adminToken],
    ] as const) {
      for (const body of [deepJson(2000), `{"name":${deepJson(100)}}`]) {
        const result = await request(baseUrl, path, {
          method: 'POST',
          token,
          headers: { 'content-type': 'application/json' },
          rawBody: body,
        });
        expectErrorBody(result, 400, 'JSON_TOO_DEEP');
      }
    }
    // Nesting up to the limit is still taken.
    const within = `{"name":"deep-ok-${randomUUID()}","config":${'{"a":'.repeat(62)}1${'}'.repeat(62)}}`;
    const created = await request(baseUrl, '/api/v1/agents', {
      method: 'POST',
      token: adminToken,
      headers: { 'content-type': 'application/json' },
      rawBody: within,
    });
    expect(created.status).toBe(201);
  });

  it('refuses text PostgreSQL cannot store (NUL, lone surrogates) in a body, query or path with a 400', async () => {
    for (const rawBody of [
      '{"name":"a\\u0000b"}',
      '{"name":"\\ud800"}',
      '{"name":"ok","config":{"k\\u0000":1}}',
      '{"name":"ok","config":{"deep":["\\udc00"]}}',
    ]) {
      const result = await request(baseUrl, '/api/v1/agents', {
        method: 'POST',
        token: adminToken,
        headers: { 'content-type': 'application/json' },
        rawBody,
      });
      expectErrorBody(result, 400, 'INVALID_CHARACTERS');
    }
    expectErrorBody(await request(baseUrl, '/api/v1/users?q=a%00b', { token: adminToken }), 400, 'INVALID_CHARACTERS');
    const toggle = `${randomUUID()}%00`;
    for (const role of [Role.Admin, Role.Operator, Role.Auditor]) {
      const token = role === Role.Admin ? adminToken : await tokenFor(baseUrl, await createUser(testApp.app, { role }));
      const result = await request(baseUrl, `/api/v1/api-toggles/${toggle}`, { token });
      expect(result.status).toBeLessThan(500);
      expect(Object.keys(result.body as object).sort()).toEqual(UNIFORM_KEYS);
    }
  });

  it('refuses null, wrong-typed and out-of-range values with a 400, never a 500', async () => {
    const cases: [string, string, unknown][] = [
      [
        'POST',
        '/api/v1/users',
        { username: `u${Date.now()}`, email: 'x@example.test', role: 'OPERATOR', password: null },
      ],
      [
        'POST',
        '/api/v1/users',
        { username: `v${Date.now()}`, email: 'y@example.test', role: 'OPERATOR', displayName: null },
      ],
      ['POST', '/api/v1/agents', { name: null }],
      ['POST', '/api/v1/agents', { name: 'n', description: null }],
      ['POST', '/api/v1/agents', { name: 'n', config: 'not an object' }],
      ['POST', '/api/v1/proposals', { title: 't', diff: 'd', description: null }],
      ['POST', '/api/v1/api-toggles', { name: 't', costPerCall: 1e308 }],
      ['POST', '/api/v1/api-toggles', { name: 't', enabled: 'yes' }],
      ['POST', '/api/v1/metrics/api-calls', { api: 'a', durationMs: -1, status: 200 }],
      ['POST', '/api/v1/metrics/api-calls', { api: 'a', durationMs: 1, status: 200, success: null }],
    ];
    for (const [method, path, json] of cases) {
      const result = await request(baseUrl, path, { method, token: adminToken, json });
      expect({ path, json, status: result.status }).toEqual({ path, json, status: 400 });
      expectErrorBody(result, 400);
    }
    for (const query of ['limit=99999999999999999999', 'limit=-1', 'offset=1e400', 'limit=NaN']) {
      expectErrorBody(await request(baseUrl, `/api/v1/agents?${query}`, { token: adminToken }), 400);
    }
    expectErrorBody(
      await request(baseUrl, '/api/v1/audit-logs?cursor=99999999999999999999', { token: adminToken }),
      400,
    );
  });

  it('tells apart two refusals with one status by their code, in the body and in the trail', async () => {
    const name = `dup-${randomUUID()}`;
    const create = (traceId: string) =>
      request(baseUrl, '/api/v1/agents', {
        method: 'POST',
        token: adminToken,
        json: { name },
        headers: { 'x-request-id': traceId },
      });
    expect((await create('first-create')).status).toBe(201);
    expectErrorBody(await create('second-create'), 409, 'AGENT_NAME_TAKEN');
    const proposal = await request<{ id: string }>(baseUrl, '/api/v1/proposals', {
      method: 'POST',
      token: adminToken,
      json: { title: 'own', diff: '+1' },
    });
    const own = await request(baseUrl, `/api/v1/proposals/${proposal.body.id}/approve`, {
      method: 'POST',
      token: adminToken,
      json: {},
    });
    expect((own.body as { code: string }).code).not.toBe('AGENT_NAME_TAKEN');
    const [row] = await auditRows(testApp.app, "trace_id = 'second-create' AND request_method IS NOT NULL");
    expect(row).toEqual(expect.objectContaining({ response_status: 409, error_code: 'AGENT_NAME_TAKEN' }));
  });

  it('answers a request that arrives once shutdown has begun with a uniform 503, after in-flight ones finish', async () => {
    // The late request arrives while the modules' shutdown hooks run, before Fastify's own close begins.
    const closing = await createTestApp({}, { controllers: [SlowController], providers: [SlowTeardown] });
    let shutdownBegun!: () => void;
    const begun = new Promise<void>((resolve) => (shutdownBegun = resolve));
    // One keep-alive connection: the first request is in flight when shutdown begins, the second comes after.
    const exchange = rawExchange(closing.baseUrl, 'GET /api/v1/test-only-slow HTTP/1.1\r\nHost: x\r\n\r\n', 2000, {
      after: begun,
      payload: 'POST /api/v1/test-only-slow/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = closing.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    shutdownBegun();
    const [inFlight, late] = await exchange;
    await closed;
    expect(inFlight.status).toBe(200);
    expect(JSON.parse(inFlight.body)).toEqual({ done: true });
    expect(late.status).toBe(503);
    expect(JSON.parse(late.body)).toEqual(expect.objectContaining({ statusCode: 503, code: 'SHUTTING_DOWN' }));
  });
});
