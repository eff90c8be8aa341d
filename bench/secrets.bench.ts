import { adminToken } from './support/admin-session';
import { startServer } from './support/server';
import { reportResult } from './support/result';
import { format, runFor } from './support/stats';

const INITIAL_PASSWORD = 'Bench-lantern-passphrase-4417';
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 5_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 16;

type Probe = () => Promise<void>;

async function expectOk(response: Response): Promise<unknown> {
  const body: unknown = await response.json();
  if (response.status !== 200) throw new Error(`unexpected ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Completed probes per second over one round (a transit probe is one encrypt and one decrypt: two requests). */
async function throughput(probe: Probe): Promise<number> {
  return (await runFor(ROUND_MS, CONNECTIONS, probe)) / (ROUND_MS / 1000);
}

async function post(url: string, token: string, body: unknown): Promise<unknown> {
  return expectOk(
    await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

async function main(): Promise<void> {
  const server = await startServer({
    ADMIN_INITIAL_PASSWORD: INITIAL_PASSWORD,
    PASSWORD_PBKDF2_ITERATIONS: '100000',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  try {
    const base = server.baseUrl;
    const token = await adminToken(base, INITIAL_PASSWORD);
    const auth = { authorization: `Bearer ${token}` };
    await post(`${base}/api/v1/secrets`, token, { name: 'bench/db-password', type: 'password' }).catch(() => undefined);
    await post(`${base}/api/v1/transit/keys`, token, { name: 'bench' }).catch(() => undefined);
    const plaintext = Buffer.from('a field of about forty bytes, say an IBAN').toString('base64');

    const probes: Record<string, Probe> = {
      'plain read (GET /api/v1/agents)': async () => {
        await expectOk(await fetch(`${base}/api/v1/agents`, { headers: auth }));
      },
      'secret read (GET .../value)': async () => {
        await expectOk(await fetch(`${base}/api/v1/secrets/bench%2Fdb-password/value`, { headers: auth }));
      },
      'transit encrypt+decrypt': async () => {
        const { ciphertext } = (await post(`${base}/api/v1/transit/keys/bench/encrypt`, token, { plaintext })) as {
          ciphertext: string;
        };
        await post(`${base}/api/v1/transit/keys/bench/decrypt`, token, { ciphertext });
      },
    };
    const results: Record<string, number[]> = Object.fromEntries(Object.keys(probes).map((name) => [name, []]));
    for (const probe of Object.values(probes)) await throughput(probe);
    // Alternating rounds, so drift (JIT, caches, the other core) lands on every side alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, probe] of Object.entries(probes)) results[name].push(await throughput(probe));
    }
    const [plain, read, transit] = Object.values(results).map(mean);
    console.log(
      `secrets and transit: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s`,
    );
    for (const [name, values] of Object.entries(results)) {
      console.log(
        `  ${name.padEnd(34)} ${values.map((value) => format(value, 0)).join(', ')} /s (mean ${format(mean(values), 0)})`,
      );
    }
    console.log(`  secret reads / plain reads            = ${format(read / plain, 2)}x (goal >= 0.80x)`);
    console.log(
      `  transit requests / plain reads        = ${format((2 * transit) / plain, 2)}x (goal >= 0.80x; 2 requests per pair)`,
    );
    const plainReads = { name: 'GET /api/v1/agents', value: plain };
    reportResult({
      bench: 'secrets',
      figure: 'secret reads',
      value: read,
      unit: 'req/s',
      baseline: plainReads,
      goal: '>= 0.80x',
    });
    reportResult({
      bench: 'secrets',
      figure: 'transit requests (encrypt and decrypt)',
      value: 2 * transit,
      unit: 'req/s',
      baseline: plainReads,
      goal: '>= 0.80x',
    });
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
