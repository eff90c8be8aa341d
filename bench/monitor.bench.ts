import { adminToken, BENCH_ADMIN_PASSWORD } from './support/admin-session';
import { benchDatabases } from './support/databases';
import { BENCH_SHARED_KEYS, type BenchServer, startServer } from './support/server';
import { format, median, runFor } from './support/stats';
import { reportResult } from './support/result';

const INITIAL_PASSWORD = 'Bench-lantern-passphrase-4417';
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 5_000);
const ROUNDS = 3;
const CONNECTIONS = 16;
const LOGIN_CONNECTIONS = 8;
const BLOCK_TRIALS = 5;
const SECRETS = BENCH_SHARED_KEYS;

function serverOn(databaseUrl: string, monitor: boolean, extra: Record<string, string> = {}): Promise<BenchServer> {
  return startServer({
    ...SECRETS,
    DATABASE_URL: databaseUrl,
    ADMIN_INITIAL_PASSWORD: INITIAL_PASSWORD,
    PASSWORD_PBKDF2_ITERATIONS: '100000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
    // Every measured login is a new session of the admin: at the default cap of 10 the round's own token was revoked.
    SESSION_MAX_PER_USER: '1000',
    LOGS_FILE: '',
    SECURITY_MONITOR_ENABLED: String(monitor),
    ...extra,
  });
}

async function expectStatus(response: Response, status: number): Promise<void> {
  await response.arrayBuffer();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}`);
}

/** GET /api/v1/agents with a JWT, and POST /auth/login, per second. */
async function throughput(server: BenchServer): Promise<{ reads: number; logins: number }> {
  // A fresh token each round: the logins below open more sessions than SESSION_MAX_PER_USER (at most
  // 1000) keeps, and the oldest, an earlier round's token among them, are revoked.
  const token = await adminToken(server.baseUrl, INITIAL_PASSWORD);
  const reads = await runFor(ROUND_MS, CONNECTIONS, async () => {
    await expectStatus(
      await fetch(`${server.baseUrl}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } }),
      200,
    );
  });
  const body = JSON.stringify({ username: 'admin', password: BENCH_ADMIN_PASSWORD });
  const logins = await runFor(ROUND_MS, LOGIN_CONNECTIONS, async () => {
    await expectStatus(
      await fetch(`${server.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
      200,
    );
  });
  return { reads: reads / (ROUND_MS / 1000), logins: logins / (ROUND_MS / 1000) };
}

/** From the request that completes a burst on one instance to the first 403 from the other, per trial. */
async function blockLatencies(first: BenchServer, second: BenchServer): Promise<number[]> {
  const samples: number[] = [];
  for (let trial = 0; trial < BLOCK_TRIALS; trial++) {
    const ip = `203.0.113.${100 + trial}`;
    const badLogin = (): Promise<Response> =>
      fetch(`${first.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ username: `nobody${trial}`, password: 'not-the-Password-1' }),
      });
    for (let i = 0; i < 9; i++) await expectStatus(await badLogin(), 401);
    const started = performance.now();
    await expectStatus(await badLogin(), 401);
    for (;;) {
      const response = await fetch(`${second.baseUrl}/health/live`, { headers: { 'x-forwarded-for': ip } });
      await response.arrayBuffer();
      if (response.status === 403) break;
      if (performance.now() - started > 10_000) throw new Error('the block never reached the other instance');
    }
    samples.push(performance.now() - started);
  }
  return samples;
}

async function main(): Promise<void> {
  // BENCH_DATABASE_URL, or an embedded PostgreSQL of the bench's own: several servers must share one.
  const db = await benchDatabases(process.env.BENCH_DATABASE_URL);
  const servers: BenchServer[] = [];
  try {
    const off = await serverOn(await db.url('off'), false);
    servers.push(off);
    const on = await serverOn(await db.url('on'), true);
    servers.push(on);
    await throughput(off);
    await throughput(on);
    const results = { off: [] as { reads: number; logins: number }[], on: [] as { reads: number; logins: number }[] };
    for (let round = 0; round < ROUNDS; round++) {
      results.off.push(await throughput(off));
      results.on.push(await throughput(on));
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const report = (label: string, pick: (result: { reads: number; logins: number }) => number) => {
      const offRates = results.off.map(pick);
      const onRates = results.on.map(pick);
      console.log(`  ${label}`);
      console.log(
        `    off: ${offRates.map((rate) => format(rate, 0)).join(', ')} /s (mean ${format(mean(offRates), 0)})`,
      );
      console.log(
        `    on:  ${onRates.map((rate) => format(rate, 0)).join(', ')} /s (mean ${format(mean(onRates), 0)})`,
      );
      console.log(`    on / off = ${format(mean(onRates) / mean(offRates), 2)}x (goal >= 0.95x)`);
      reportResult({
        bench: 'monitor',
        figure: `${label} with the security monitor on`,
        value: mean(onRates),
        unit: 'req/s',
        baseline: { name: 'the same with SECURITY_MONITOR_ENABLED=false', value: mean(offRates) },
        goal: '>= 0.95x',
      });
    };
    console.log(`security monitor on vs off, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s`);
    report(`GET /api/v1/agents (JWT), ${CONNECTIONS} connections`, (result) => result.reads);
    report(`POST /api/v1/auth/login, ${LOGIN_CONNECTIONS} connections`, (result) => result.logins);

    const shared = await db.url('pair');
    const first = await serverOn(shared, true, { TRUST_PROXY: 'true' });
    servers.push(first);
    const second = await serverOn(shared, true, { TRUST_PROXY: 'true' });
    servers.push(second);
    const latencies = await blockLatencies(first, second);
    console.log(`offending request on one instance -> 403 on another, ${BLOCK_TRIALS} trials (failed-login-burst)`);
    console.log(
      `  ${latencies.map((ms) => format(ms, 0)).join(', ')} ms; median ${format(median(latencies), 0)} ms, max ${format(Math.max(...latencies), 0)} ms (goal < 1000 ms)`,
    );
    reportResult({
      bench: 'monitor',
      figure: 'offence on one instance to 403 on another, median',
      value: median(latencies),
      unit: 'ms',
      goal: '< 1000 ms',
    });
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await db.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
