import { setTimeout as delay } from 'node:timers/promises';
import { expectErrorBody } from '../support/http';
import { Cluster, type ClusterResult } from './harness';

const ROUTE_LIMIT = 12;
const LOGIN_LIMIT = 6;
/** The test Redis database of this file (others use their own). */
const REDIS_URL = `${(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/3').replace(/\/\d+$/, '')}/8`;

/** Windows are whole minutes: a burst that straddles one would meet two budgets. */
async function awayFromMinuteBoundary(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await delay(60_000 - intoMinute + 1_000);
}

function statuses(results: ClusterResult[]): number[] {
  return results.map((result) => result.status);
}

describe.each([
  ['PostgreSQL', {}],
  ['Redis', { REDIS_URL }],
])('cluster: one rate limit for three instances, counted in %s', (_store, storeEnv: Record<string, string>) => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({
      instances: 3,
      env: {
        ...storeEnv,
        RATE_LIMIT_PER_MINUTE: String(ROUTE_LIMIT),
        LOGIN_RATE_LIMIT_PER_MINUTE: String(LOGIN_LIMIT),
      },
    });
  }, 180_000);
  afterAll(() => cluster.close());

  it('lets exactly the route budget through, spread round-robin, and answers the rest 429 with Retry-After', async () => {
    await awayFromMinuteBoundary();
    const results: ClusterResult[] = [];
    for (let index = 0; index < ROUTE_LIMIT + 6; index += 1) results.push(await cluster.requestNext('/api/v1/agents'));

    expect(statuses(results)).toEqual([...Array(ROUTE_LIMIT).fill(401), ...Array(6).fill(429)]);
    const refusedOn = new Set(results.slice(ROUTE_LIMIT).map((result) => result.instance));
    expect(refusedOn.size).toBe(3);
    for (const refused of results.slice(ROUTE_LIMIT)) {
      expectErrorBody(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('holds the login budget across instances, whatever the usernames', async () => {
    await awayFromMinuteBoundary();
    const results: ClusterResult[] = [];
    for (let index = 0; index < LOGIN_LIMIT + 3; index += 1) {
      results.push(
        await cluster.requestNext('/api/v1/auth/login', {
          method: 'POST',
          json: { username: `nobody-${index}`, password: 'Not-the-password-1234' },
        }),
      );
    }
    expect(statuses(results)).toEqual([...Array(LOGIN_LIMIT).fill(401), 429, 429, 429]);
  });
});
