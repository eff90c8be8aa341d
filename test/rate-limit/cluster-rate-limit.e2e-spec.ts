import { DataSource } from 'typeorm';
import { RateLimitCleanup } from '../../src/common/rate-limit/rate-limit-cleanup.service';
import { expectErrorBody, request, type HttpResult } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { LOGIN } from '../auth/auth-helpers';

const MINUTE = 60_000;
const ROUTE_LIMIT = 4;
const LOGIN_LIMIT = 3;

/** 5 s into a minute: the counting window has 55 s left whatever the wall clock says. */
function clockInsideAWindow(): TestClock {
  const now = Date.now();
  return new TestClock(new Date(now - (now % MINUTE) + 5_000));
}

function wrongLogin(baseUrl: string): Promise<HttpResult> {
  return request(baseUrl, LOGIN, { method: 'POST', json: { username: 'nobody-here', password: 'Wrong-password-1' } });
}

function expectRateLimited(result: HttpResult, retryAfterSeconds: string): void {
  expectErrorBody(result, 429, 'RATE_LIMITED');
  expect((result.body as { message: string }).message).toBe('Too many requests; retry later');
  expect(result.headers.get('retry-after')).toBe(retryAfterSeconds);
}

// Two instances of the app on ONE PostgreSQL database, as a cluster behind a balancer: requests alternate
// between them and the limits hold for the pair, not per process.
describe('rate limits, counted in PostgreSQL for the whole cluster', () => {
  const clock = clockInsideAWindow();
  let first: TestApp;
  let second: TestApp;
  let instances: [string, string];

  beforeAll(async () => {
    const env = { RATE_LIMIT_PER_MINUTE: String(ROUTE_LIMIT), LOGIN_RATE_LIMIT_PER_MINUTE: String(LOGIN_LIMIT) };
    first = await createTestApp(env, { clock });
    second = await createTestApp(env, { clock, databaseUrl: first.databaseUrl });
    instances = [first.baseUrl, second.baseUrl];
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('holds a route limit across two instances, with Retry-After and the uniform body', async () => {
    for (let i = 0; i < ROUTE_LIMIT; i += 1) {
      expect((await request(instances[i % 2], '/health/ready')).status).toBe(200);
    }
    expectRateLimited(await request(first.baseUrl, '/health/ready'), '55');
    expectRateLimited(await request(second.baseUrl, '/health/ready'), '55');
    // Another route has its own bucket, and liveness is never counted.
    expectErrorBody(await request(second.baseUrl, '/api/v1/auth/me'), 401);
    expect((await request(second.baseUrl, '/health/live')).status).toBe(200);
  });

  it('holds the login limit across two instances', async () => {
    for (let i = 0; i < LOGIN_LIMIT; i += 1) {
      expect((await wrongLogin(instances[i % 2])).status).toBe(401);
    }
    expectRateLimited(await wrongLogin(second.baseUrl), '55');
    expectRateLimited(await wrongLogin(first.baseUrl), '55');
  });

  it('starts a new count in the next window', async () => {
    clock.advance(MINUTE);
    expect((await request(first.baseUrl, '/health/ready')).status).toBe(200);
    expect((await wrongLogin(second.baseUrl)).status).toBe(401);
  });

  it('answers a flood of unknown URLs with 429 once the API-wide limit is spent, on either instance', async () => {
    clock.advance(MINUTE);
    for (let i = 0; i < ROUTE_LIMIT - 1; i += 1) {
      expectErrorBody(await request(instances[i % 2], `/api/v1/no-such-route-${i}`), 404);
    }
    // A URL Fastify's router refuses (FST_ERR_BAD_URL) counts too.
    expectErrorBody(await request(second.baseUrl, '/api/v1/users/%zz'), 400);
    expectRateLimited(await request(first.baseUrl, '/api/v1/no-such-route-x'), '55');
    expectRateLimited(await request(second.baseUrl, '/nothing/here/either'), '55');
  });

  it('counts requests refused before their handler (415, bad JSON) against the route', async () => {
    clock.advance(MINUTE);
    const refusedBodies = [
      { method: 'POST', headers: { 'content-type': 'text/plain' }, rawBody: 'username=a' },
      { method: 'POST', headers: { 'content-type': 'application/json' }, rawBody: '{"username":' },
      { method: 'POST', headers: { 'content-type': 'text/plain' }, rawBody: 'username=b' },
    ];
    const statuses = [];
    for (const [i, options] of refusedBodies.entries()) {
      statuses.push((await request(instances[i % 2], LOGIN, options)).status);
    }
    expect(statuses).toEqual([415, 400, 415]);
    expectRateLimited(await wrongLogin(second.baseUrl), '55');
  });

  it('lets exactly the limit through of 30 requests sent at once to both instances, counting every one', async () => {
    clock.advance(MINUTE);
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => request(instances[i % 2], '/health/ready')));
    expect(burst.filter((result) => result.status === 200)).toHaveLength(ROUTE_LIMIT);
    for (const result of burst.filter((answer) => answer.status !== 200)) expectRateLimited(result, '55');
    const [{ hits }] = await first.app
      .get(DataSource)
      .query<{ hits: number }[]>(
        "SELECT sum(hits)::int AS hits FROM rate_limit_hits WHERE key LIKE 'GET /health/ready:%' AND window_start <= $1 AND expires_at > $1",
        [clock.now()],
      );
    expect(hits).toBe(30);
  });

  it('removes ended windows and keeps the current one', async () => {
    const windows = async () =>
      (
        await first.app
          .get(DataSource)
          .query<{ ended: boolean }[]>('SELECT expires_at <= $1 AS ended FROM rate_limit_hits', [clock.now()])
      ).map((row) => row.ended);
    expect((await windows()).filter((ended) => ended).length).toBeGreaterThan(0);
    await first.app.get(RateLimitCleanup).removeExpired();
    const left = await windows();
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((ended) => !ended)).toBe(true);
  });
});
