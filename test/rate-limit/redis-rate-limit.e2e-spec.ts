import { createServer, type AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { expectErrorBody, request, type HttpResult } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { LOGIN } from '../auth/auth-helpers';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/3';
const ROUTE_LIMIT = 4;
const LOGIN_LIMIT = 3;
const env = { RATE_LIMIT_PER_MINUTE: String(ROUTE_LIMIT), LOGIN_RATE_LIMIT_PER_MINUTE: String(LOGIN_LIMIT) };

function wrongLogin(baseUrl: string): Promise<HttpResult> {
  return request(baseUrl, LOGIN, { method: 'POST', json: { username: 'nobody-here', password: 'Wrong-password-1' } });
}

function expectRateLimited(result: HttpResult): void {
  expectErrorBody(result, 429, 'RATE_LIMITED');
  expect(Number(result.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(result.headers.get('retry-after'))).toBeLessThanOrEqual(60);
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Two instances on two DIFFERENT databases that share only Redis: the limit they hold together can only come
// from Redis.
describe('rate limits, counted in Redis when REDIS_URL is set', () => {
  let first: TestApp;
  let second: TestApp;
  let instances: [string, string];

  beforeAll(async () => {
    const redis = new Redis(REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
    first = await createTestApp({ ...env, REDIS_URL });
    second = await createTestApp({ ...env, REDIS_URL });
    instances = [first.baseUrl, second.baseUrl];
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('holds a route limit across two instances', async () => {
    for (let i = 0; i < ROUTE_LIMIT; i += 1) {
      expect((await request(instances[i % 2], '/health/ready')).status).toBe(200);
    }
    expectRateLimited(await request(first.baseUrl, '/health/ready'));
    expectRateLimited(await request(second.baseUrl, '/health/ready'));
  });

  it('holds the login limit across two instances', async () => {
    for (let i = 0; i < LOGIN_LIMIT; i += 1) {
      expect((await wrongLogin(instances[i % 2])).status).toBe(401);
    }
    expectRateLimited(await wrongLogin(second.baseUrl));
  });

  it('answers an unknown-URL flood with 429', async () => {
    for (let i = 0; i < ROUTE_LIMIT; i += 1) {
      expect((await request(instances[i % 2], `/api/v1/no-such-route-${i}`)).status).toBe(404);
    }
    expectRateLimited(await request(second.baseUrl, '/api/v1/no-such-route-x'));
  });
});

// Redis unreachable: the API-wide limit fails open (an outage of a counter must not take the API down), the
// login limit does not: it is counted in PostgreSQL instead. Never a 500.
describe('rate limits while Redis is unreachable', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    // PostgreSQL's windows follow the app's clock: 5 s into a minute, so the test never straddles two windows.
    const now = Date.now();
    const clock = new TestClock(new Date(now - (now % 60_000) + 5_000));
    testApp = await createTestApp({ ...env, REDIS_URL: `redis://127.0.0.1:${await closedPort()}/3` }, { clock });
  });
  afterAll(() => testApp.close());

  it('lets ordinary requests through beyond the limit', async () => {
    for (let i = 0; i < ROUTE_LIMIT * 2; i += 1) {
      expect((await request(testApp.baseUrl, '/health/ready')).status).toBe(200);
    }
  });

  it('still holds the login limit, counted in PostgreSQL', async () => {
    for (let i = 0; i < LOGIN_LIMIT; i += 1) {
      expect((await wrongLogin(testApp.baseUrl)).status).toBe(401);
    }
    expectRateLimited(await wrongLogin(testApp.baseUrl));
  });
});
