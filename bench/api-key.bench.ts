import { adminToken, issueApiKey } from './support/admin-session';
import { startServer } from './support/server';
import { format, runFor } from './support/stats';
import { reportResult } from './support/result';

const INITIAL_PASSWORD = 'Bench-lantern-passphrase-4417';
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 5_000);
const ROUNDS = 3;
const CONNECTIONS = 16;

/** Requests/s of GET /api/v1/agents (agents:read) for `headers`, over one round. */
async function throughput(url: string, headers: Record<string, string>): Promise<number> {
  const completed = await runFor(ROUND_MS, CONNECTIONS, async () => {
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`unexpected ${response.status}`);
  });
  return completed / (ROUND_MS / 1000);
}

async function main(): Promise<void> {
  const server = await startServer({
    ADMIN_INITIAL_PASSWORD: INITIAL_PASSWORD,
    PASSWORD_PBKDF2_ITERATIONS: '100000',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  try {
    const token = await adminToken(server.baseUrl, INITIAL_PASSWORD);
    const key = await issueApiKey(server.baseUrl, token);
    const url = `${server.baseUrl}/api/v1/agents`;
    await throughput(url, { authorization: `Bearer ${token}` });

    // Alternating rounds, so drift (JIT, caches, the other core) lands on both sides alike.
    const jwt: number[] = [];
    const apiKey: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      jwt.push(await throughput(url, { authorization: `Bearer ${token}` }));
      apiKey.push(await throughput(url, { 'x-api-key': key }));
    }
    const jwtMean = jwt.reduce((sum, value) => sum + value, 0) / ROUNDS;
    const keyMean = apiKey.reduce((sum, value) => sum + value, 0) / ROUNDS;
    console.log(
      `API key vs JWT on GET /api/v1/agents: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s`,
    );
    console.log(`  JWT:     ${jwt.map((value) => format(value, 0)).join(', ')} req/s (mean ${format(jwtMean, 0)})`);
    console.log(`  API key: ${apiKey.map((value) => format(value, 0)).join(', ')} req/s (mean ${format(keyMean, 0)})`);
    console.log(`  API key / JWT = ${format(keyMean / jwtMean, 2)}x (goal >= 0.90x)`);
    reportResult({
      bench: 'api-key',
      figure: 'GET /api/v1/agents through an API key',
      value: keyMean,
      unit: 'req/s',
      baseline: { name: 'the same route through a JWT', value: jwtMean },
      goal: '>= 0.90x',
    });
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
