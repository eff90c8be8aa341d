import { pbkdf2, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { hash as argon2Hash } from '@node-rs/argon2';
import { ARGON2ID_PARAMETERS } from '../src/auth/password/password-hasher.service';
import { startServer } from './support/server';
import { format, median, quantile, runFor, sampleLatencies } from './support/stats';
import { reportResult } from './support/result';

const pbkdf2Async = promisify(pbkdf2);
const ITERATIONS = 600_000;
const PASSWORD = 'Bench-lantern-passphrase-4417';
const LOAD_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);

/** A password hash the server can be configured with, and one hash of it as the server computes it. */
interface HashingScheme {
  label: string;
  env: Record<string, string>;
  hashOnce: () => Promise<unknown>;
  goal?: string;
}

const SCHEMES: HashingScheme[] = [
  {
    label: `${ITERATIONS} PBKDF2 iterations`,
    env: { PASSWORD_HASH_ALGORITHM: 'pbkdf2', PASSWORD_PBKDF2_ITERATIONS: String(ITERATIONS) },
    hashOnce: () => pbkdf2Async(PASSWORD, randomBytes(16), ITERATIONS, 32, 'sha256'),
  },
  {
    label: `argon2id (${ARGON2ID_PARAMETERS.memoryCost} KiB, t=${ARGON2ID_PARAMETERS.timeCost}, p=${ARGON2ID_PARAMETERS.parallelism})`,
    env: { PASSWORD_HASH_ALGORITHM: 'argon2id' },
    hashOnce: () => argon2Hash(PASSWORD, ARGON2ID_PARAMETERS),
    goal: '>= 0.70x',
  },
];

/** Median of ten, after three not counted: a median of five cold ones gave argon2id 18.9 ms in one run, 8.3 ms in the next. */
async function singleHashMs(scheme: HashingScheme): Promise<number> {
  for (let i = 0; i < 3; i++) await scheme.hashOnce();
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    await scheme.hashOnce();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

async function measure(scheme: HashingScheme, cores: number): Promise<void> {
  const hashMs = await singleHashMs(scheme);
  const server = await startServer({
    ...scheme.env,
    ADMIN_INITIAL_PASSWORD: PASSWORD,
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
    console.log(`login benchmark: ${scheme.label}, ${cores} cores, ${LOAD_MS / 1000} s of load`);
    console.log(`  single hash (median of 10):         ${format(hashMs)} ms`);
    console.log(`  bound = cores / single-hash time:   ${format(bound)} logins/s`);
    console.log(
      `  measured (${cores * 4} concurrent clients): ${format(loginsPerSecond)} logins/s = ${format(loginsPerSecond / bound, 2)}x of the bound` +
        (scheme.goal ? ` (goal ${scheme.goal})` : ''),
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
      figure: `logins at ${scheme.label}`,
      value: loginsPerSecond,
      unit: 'logins/s',
      baseline: { name: 'the hashing bound (cores / single-hash time)', value: bound },
      ...(scheme.goal ? { goal: scheme.goal } : {}),
    });
    reportResult({
      bench: 'login',
      figure: `/auth/me p99 while logins at ${scheme.label} saturate the CPU`,
      value: quantile(meUnderLoad, 0.99),
      unit: 'ms',
      baseline: { name: '/auth/me p99 idle', value: quantile(idle, 0.99) },
    });
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  for (const scheme of SCHEMES) await measure(scheme, cores);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
