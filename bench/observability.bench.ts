import { adminToken } from './support/admin-session';
import { startServer, type BenchServer } from './support/server';
import { format, runFor } from './support/stats';
import { reportResult } from './support/result';

const INITIAL_PASSWORD = 'Bench-lantern-passphrase-4417';
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 5_000);
const ROUNDS = 3;
const CONNECTIONS = 16;

interface Target {
  server: BenchServer;
  token: string;
}

/** Audit is off on both sides, so the ratio is the cost of metrics and stored logging alone. */
async function startTarget(observed: boolean): Promise<Target> {
  const server = await startServer({
    ADMIN_INITIAL_PASSWORD: INITIAL_PASSWORD,
    PASSWORD_PBKDF2_ITERATIONS: '100000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    AUDIT_ENABLED: 'false',
    LOGS_FILE: '',
    METRICS_ENABLED: String(observed),
    LOG_STORE_ENABLED: String(observed),
    // The production default level, so whatever the app logs while serving reaches the store.
    LOG_LEVEL: 'info',
  });
  return { server, token: await adminToken(server.baseUrl, INITIAL_PASSWORD) };
}

/** GET /api/v1/agents: an authenticated read through every global guard. */
async function requestsPerSecond(target: Target): Promise<number> {
  const completed = await runFor(ROUND_MS, CONNECTIONS, async () => {
    const response = await fetch(`${target.server.baseUrl}/api/v1/agents`, {
      headers: { authorization: `Bearer ${target.token}` },
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`unexpected ${response.status}`);
  });
  return completed / (ROUND_MS / 1000);
}

async function main(): Promise<void> {
  const off = await startTarget(false);
  const on = await startTarget(true);
  try {
    await requestsPerSecond(off);
    await requestsPerSecond(on);
    const offRates: number[] = [];
    const onRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      offRates.push(await requestsPerSecond(off));
      onRates.push(await requestsPerSecond(on));
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log(
      `metrics + stored logging on vs off, GET /api/v1/agents, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s`,
    );
    console.log(
      `  off: ${offRates.map((rate) => format(rate, 0)).join(', ')} req/s (mean ${format(mean(offRates), 0)})`,
    );
    console.log(`  on:  ${onRates.map((rate) => format(rate, 0)).join(', ')} req/s (mean ${format(mean(onRates), 0)})`);
    console.log(`  on / off = ${format(mean(onRates) / mean(offRates), 2)}x (goal >= 0.90x)`);
    reportResult({
      bench: 'observability',
      figure: 'GET /api/v1/agents with metrics and stored logging on',
      value: mean(onRates),
      unit: 'req/s',
      baseline: { name: 'the same with both off', value: mean(offRates) },
      goal: '>= 0.90x',
    });
  } finally {
    await Promise.all([off.server.stop(), on.server.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
