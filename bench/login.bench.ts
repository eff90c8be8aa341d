import { pbkdf2, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { startServer } from './support/server';
import { format, median, quantile, runFor, sampleLatencies } from './support/stats';
import { reportResult } from './support/result';

const pbkdf2Async = promisify(pbkdf2);
const ITERATIONS = 600_000;
const PASSWORD = 'Bench-lantern-passphrase-4417';
const LOAD_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);

async function singleHashMs(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await pbkdf2Async(PASSWORD, randomBytes(16), ITERATIONS, 32, 'sha256');
    samples.push(performance.now() - started);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const hashMs = await singleHashMs();
  const server = await startServer({
    ADMIN_INITIAL_PASSWORD: PASSWORD,
    PASSWORD_PBKDF2_ITERATIONS: String(ITERATIONS),
    LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    // One user logs in over and over: the cap would otherwise revoke the session /auth/me is sampled with.
    SESSION_MAX_PER_USER: '1000',
  });
  try {
    const loginBody = JSON.stringify({ username: 'admin', password: PASSWORD });
    const login = async (): Promise<string> => {
      const response = await fetch(`${server.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: loginBody,
      });
      const body = (await response.json()) as { accessToken?: string };
      if (!response.ok || !body.accessToken) throw new Error(`login failed: ${response.status}`);
      return body.accessToken;
    };
    const token = await login();
    const me = async (): Promise<void> => {
      const response = await fetch(`${server.baseUrl}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`/auth/me failed: ${response.status}`);
    };

    const idle = await sampleLatencies(3_000, me);
    let meUnderLoad: number[] = [];
    const [logins] = await Promise.all([
      runFor(LOAD_MS, cores * 4, async () => {
        await login();
      }),
      sampleLatencies(LOAD_MS, me).then((samples) => {
        meUnderLoad = samples;
      }),
    ]);

    const loginsPerSecond = logins / (LOAD_MS / 1000);
    const bound = cores / (hashMs / 1000);
    console.log(
      `login benchmark: PBKDF2-HMAC-SHA256 at ${ITERATIONS} iterations, ${cores} cores, ${LOAD_MS / 1000} s of load`,
    );
    console.log(`  single hash (median of 5):          ${format(hashMs)} ms`);
    console.log(`  bound = cores / single-hash time:   ${format(bound)} logins/s`);
    console.log(
      `  measured (${cores * 4} concurrent clients): ${format(loginsPerSecond)} logins/s = ${format(loginsPerSecond / bound, 2)}x of the bound`,
    );
    console.log(
      `  /auth/me idle:        p50 ${format(quantile(idle, 0.5), 2)} ms, p99 ${format(quantile(idle, 0.99), 2)} ms (${idle.length} requests)`,
    );
    console.log(
      `  /auth/me under login load: p50 ${format(quantile(meUnderLoad, 0.5), 2)} ms, p99 ${format(quantile(meUnderLoad, 0.99), 2)} ms ` +
        `(${meUnderLoad.length} requests) = ${format(quantile(meUnderLoad, 0.99) / quantile(idle, 0.99), 1)}x idle p99`,
    );
    reportResult({
      bench: 'login',
      figure: `logins at ${ITERATIONS} PBKDF2 iterations`,
      value: loginsPerSecond,
      unit: 'logins/s',
      baseline: { name: 'the hashing bound (cores / single-hash time)', value: bound },
    });
    reportResult({
      bench: 'login',
      figure: '/auth/me p99 while logins saturate the CPU',
      value: quantile(meUnderLoad, 0.99),
      unit: 'ms',
      baseline: { name: '/auth/me p99 idle', value: quantile(idle, 0.99) },
    });
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
