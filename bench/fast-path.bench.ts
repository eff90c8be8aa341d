import { loadavg, availableParallelism } from 'node:os';
import { Client } from 'pg';
import { startPeer } from './peers/launch';
import { adminToken } from './support/admin-session';
import {
  agentCreate,
  createAgent,
  INITIAL_PASSWORD,
  liveness,
  type RouteLoad,
  securedRead,
  sentinelEnv,
} from './support/agent-routes';
import { benchDatabases, LOCAL_POSTGRES } from './support/databases';
import { load, type LoadResult } from './support/load';
import { cpuSeconds, cpuSecondsByPid, nodeDescendants, processTree, RssSampler, rssBytes } from './support/processes';
import { startServer } from './support/server';
import { format, median } from './support/stats';
import { reportResult } from './support/result';

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 5_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const CONNECTIONS = 16;
const MB = 1024 * 1024;

type Label = 'sentinel' | 'express' | 'fastify' | 'sentinel WORKERS=2';

interface Target {
  label: Label;
  baseUrl: string;
  pid: number;
  token: string;
  agentId: string;
  /** Whether a PostgreSQL backend (by application_name) serves this server. */
  ownsBackend?: (applicationName: string) => boolean;
  stop: () => Promise<void>;
}

interface Scenario {
  title: string;
  spec: (target: Target) => RouteLoad;
}

interface Sample {
  result: LoadResult;
  cpuMsPerRequest: number;
  pgCpuMsPerRequest: number | undefined;
  peakRss: number;
}

const read: Scenario = {
  title: 'GET /api/v1/agents/:id (JWT verify, session row, role, audit row, histogram)',
  spec: securedRead,
};

const write: Scenario = {
  title: 'POST /api/v1/agents (insert + its audit row in one transaction, answered after COMMIT)',
  spec: agentCreate,
};

const live: Scenario = {
  title: 'GET /health/live (Sentinel) vs a hello route on each peer',
  spec: liveness,
};

/** The PostgreSQL backends serving `target` (by application_name), with their CPU seconds so far. */
async function backendCpu(sql: Client, target: Target): Promise<Map<number, number> | undefined> {
  if (!target.ownsBackend) return undefined;
  const { rows } = await sql.query<{ pid: number; application_name: string }>(
    'SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const owned = rows.filter((row) => target.ownsBackend!(row.application_name)).map((row) => row.pid);
  const cpu = cpuSecondsByPid(owned);
  // Backends listed but not in this machine's /proc: PostgreSQL runs elsewhere, its CPU is not ours to read.
  return owned.length > 0 && cpu.size === 0 ? undefined : cpu;
}

/** One round: load, the server's CPU (its whole process tree) and its peak RSS while loaded. */
async function measure(sql: Client, target: Target, scenario: Scenario, durationMs: number): Promise<Sample> {
  const pids = processTree(target.pid);
  const pgBefore = await backendCpu(sql, target);
  const cpuBefore = cpuSeconds(pids);
  const rss = new RssSampler(() => pids);
  const result = await load({ ...scenario.spec(target), connections: CONNECTIONS, durationMs });
  const peakRss = rss.stop();
  const cpu = cpuSeconds(pids) - cpuBefore;
  const pgAfter = await backendCpu(sql, target);
  let pgCpuMsPerRequest: number | undefined;
  // Backends that closed during the round (an idle pool shrinking) take their CPU with them: a slight undercount.
  if (pgBefore && pgAfter) {
    let pgCpu = 0;
    for (const [pid, seconds] of pgAfter) pgCpu += seconds - (pgBefore.get(pid) ?? 0);
    pgCpuMsPerRequest = (pgCpu * 1000) / result.requests;
  }
  return { result, cpuMsPerRequest: (cpu * 1000) / result.requests, pgCpuMsPerRequest, peakRss };
}

async function startSentinel(databaseUrl: string, label: Label, extra: Record<string, string> = {}): Promise<Target> {
  const server = await startServer(sentinelEnv(databaseUrl, extra));
  const token = await adminToken(server.baseUrl, INITIAL_PASSWORD);
  const agentId = await createAgent({ baseUrl: server.baseUrl, token }, `fast-path-${label}-${process.pid}`);
  return {
    label,
    baseUrl: server.baseUrl,
    pid: server.pid,
    token,
    agentId,
    ownsBackend: (name) => name.startsWith('sentinel'),
    stop: server.stop,
  };
}

function range(values: number[], digits: number): string {
  return `${format(Math.min(...values), digits)}-${format(Math.max(...values), digits)}`;
}

function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met';
}

function printTable(samples: Map<Label, Sample[]>): void {
  console.log('    server               req/s median [range]   CPU ms/req   PostgreSQL CPU ms/req   p50 / p99 ms');
  for (const [label, list] of samples) {
    const rates = list.map((sample) => sample.result.rate);
    const cpu = list.map((sample) => sample.cpuMsPerRequest);
    const pg = list.flatMap((sample) => (sample.pgCpuMsPerRequest === undefined ? [] : [sample.pgCpuMsPerRequest]));
    console.log(
      `    ${label.padEnd(20)} ${format(median(rates), 0).padStart(6)} [${range(rates, 0)}]`.padEnd(47) +
        `${format(median(cpu), 2).padStart(6)}       ${pg.length > 0 ? format(median(pg), 2) : 'n/a'}`.padEnd(37) +
        `${format(median(list.map((sample) => sample.result.p50Ms)), 0)} / ${format(median(list.map((sample) => sample.result.p99Ms)), 0)}`,
    );
  }
}

const GOALS: Partial<Record<string, Partial<Record<Label, string>>>> = {
  [read.title]: { express: '>= 1.5x', fastify: '>= 0.8x' },
  [write.title]: { express: '>= 1.5x' },
};

/** One RESULT line per peer: Sentinel's median against the peer's, from the same interleaved rounds. */
function reportPeers(scenario: Scenario, samples: Map<Label, Sample[]>): void {
  const rate = (label: Label) => median(samples.get(label)!.map((sample) => sample.result.rate));
  for (const label of samples.keys()) {
    if (label === 'sentinel') continue;
    reportResult({
      bench: 'fast-path',
      figure: `${scenario.title}: Sentinel vs ${label}`,
      value: rate('sentinel'),
      unit: 'req/s',
      baseline: {
        name: label === 'express' ? 'NestJS on Express (bench/peers)' : 'bare Fastify (bench/peers)',
        value: rate(label),
      },
      goal: GOALS[scenario.title]?.[label],
    });
  }
}

/** Ratio of medians, with the range of the per-round ratios (rounds were run back to back). */
function ratio(samples: Map<Label, Sample[]>, over: Label, under: Label): { value: number; text: string } {
  const top = samples.get(over)!.map((sample) => sample.result.rate);
  const bottom = samples.get(under)!.map((sample) => sample.result.rate);
  const value = median(top) / median(bottom);
  const perRound = top.map((rate, i) => rate / bottom[i]);
  return { value, text: `${over} / ${under} = ${format(value, 2)}x [rounds ${range(perRound, 2)}]` };
}

async function runRounds(
  sql: Client,
  targets: Target[],
  scenarios: Scenario[],
): Promise<Map<Scenario, Map<Label, Sample[]>>> {
  for (const scenario of scenarios) for (const target of targets) await measure(sql, target, scenario, WARMUP_MS);
  const results = new Map<Scenario, Map<Label, Sample[]>>(
    scenarios.map((scenario) => [scenario, new Map(targets.map((target) => [target.label, []]))]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios) {
      for (const target of targets) {
        results
          .get(scenario)!
          .get(target.label)!
          .push(await measure(sql, target, scenario, ROUND_MS));
      }
    }
  }
  return results;
}

/** WORKERS=2 against WORKERS=1 on the secured read, or a line saying the server does not fork workers yet. */
async function workers(sql: Client, databaseUrl: string, single: Target): Promise<void> {
  console.log('');
  console.log('WORKERS=2 (secured read against WORKERS=1; no goal on 2 cores, where PostgreSQL needs one)');
  let pair: Target;
  try {
    pair = await startSentinel(databaseUrl, 'sentinel WORKERS=2', { WORKERS: '2' });
  } catch (error) {
    console.log(`  WORKERS=2: the server did not start (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  try {
    const forked = nodeDescendants(pair.pid).length;
    if (forked === 0) {
      console.log('  WORKERS=2: not supported yet (the server ran as one process; WORKERS is ignored)');
      return;
    }
    console.log(`  WORKERS=2: ${forked} worker processes below the primary`);
    const results = await runRounds(sql, [{ ...single, ownsBackend: undefined }, pair], [read]);
    const samples = results.get(read)!;
    printTable(samples);
    console.log(`    ${ratio(samples, 'sentinel WORKERS=2', 'sentinel').text}`);
    const peak = Math.max(...samples.get('sentinel WORKERS=2')!.map((sample) => sample.peakRss));
    console.log(`    peak RSS of the primary and its workers under load: ${format(peak / MB, 0)} MB`);
  } finally {
    await pair.stop();
  }
}

async function main(): Promise<void> {
  const startedLoad = loadavg()[0];
  const db = await benchDatabases(process.env.BENCH_DATABASE_URL ?? LOCAL_POSTGRES);
  const targets: Target[] = [];
  let sql: Client | undefined;
  try {
    const databaseUrl = await db.url('fastpath');
    sql = new Client({ connectionString: databaseUrl, application_name: 'fast-path-bench' });
    await sql.connect();
    targets.push(await startSentinel(databaseUrl, 'sentinel'));
    for (const [name, label] of [
      ['express-nest', 'express'],
      ['bare-fastify', 'fastify'],
    ] as const) {
      const peer = await startPeer(name, databaseUrl);
      const agentId = await createAgent(peer, `fast-path-${label}-${process.pid}`);
      targets.push({ ...peer, label, agentId, ownsBackend: (application) => application === name });
    }
    const idleRss = new Map(targets.map((target) => [target.label, rssBytes(processTree(target.pid))]));

    const scenarios = [read, write, live];
    // /health/live's rounds come last: thousands of hits a second fill Sentinel's in-memory rate-limit
    // windows (and its heap) for a minute, which would weigh on the secured routes' rounds after them.
    const results = new Map([
      ...(await runRounds(sql, targets, [read, write])),
      ...(await runRounds(sql, targets, [live])),
    ]);

    const cores = availableParallelism();
    console.log(
      `fast path: Sentinel against the same secured work in a plain NestJS-on-Express app and on bare Fastify`,
    );
    console.log(
      `  ${CONNECTIONS} connections (autocannon in the bench process), ${ROUNDS} interleaved rounds of ${ROUND_MS / 1000} s ` +
        `per route after a ${WARMUP_MS / 1000} s warm-up (the secured routes' rounds first, then /health/live's); ` +
        `one PostgreSQL for all three; ${cores} cores`,
    );
    console.log(
      `  the machine is shared and noisy (others' tests run on it): load average ${format(startedLoad, 1)} at the start, ` +
        `${format(loadavg()[0], 1)} at the end`,
    );
    const goals: Record<string, (samples: Map<Label, Sample[]>) => string[]> = {
      [read.title]: (samples) => {
        const express = ratio(samples, 'sentinel', 'express');
        const fastify = ratio(samples, 'sentinel', 'fastify');
        return [
          `${express.text}   goal >= 1.5x: ${verdict(express.value >= 1.5)}`,
          `${fastify.text}   goal >= 0.8x: ${verdict(fastify.value >= 0.8)}`,
        ];
      },
      [write.title]: (samples) => {
        const express = ratio(samples, 'sentinel', 'express');
        return [
          `${express.text}   goal >= 1.5x: ${verdict(express.value >= 1.5)}`,
          ratio(samples, 'sentinel', 'fastify').text,
        ];
      },
      [live.title]: (samples) => {
        const rate = median(samples.get('sentinel')!.map((sample) => sample.result.rate));
        return [
          `sentinel ${format(rate, 0)} req/s   goal >= 5,000 req/s: ${verdict(rate >= 5_000)}`,
          ratio(samples, 'sentinel', 'express').text,
          ratio(samples, 'sentinel', 'fastify').text,
        ];
      },
    };
    let generatorCpu = 0;
    for (const scenario of scenarios) {
      const samples = results.get(scenario)!;
      console.log('');
      console.log(`  ${scenario.title}`);
      printTable(samples);
      for (const line of goals[scenario.title](samples)) console.log(`    ${line}`);
      reportPeers(scenario, samples);
      for (const list of samples.values()) {
        for (const sample of list) generatorCpu = Math.max(generatorCpu, sample.result.generatorCpu);
      }
    }
    console.log('');
    console.log('  memory: RSS idle (after start) -> peak under load, over every round');
    for (const target of targets) {
      const peak = Math.max(
        ...scenarios.flatMap((scenario) =>
          results
            .get(scenario)!
            .get(target.label)!
            .map((sample) => sample.peakRss),
        ),
      );
      const goal = target.label === 'sentinel' ? `   goal < 250 MB: ${verdict(peak < 250 * MB)}` : '';
      reportResult({
        bench: 'fast-path',
        figure: `${target.label}: peak RSS under ${CONNECTIONS} connections`,
        value: peak / MB,
        unit: 'MB',
        baseline: { name: 'RSS idle after start', value: idleRss.get(target.label)! / MB },
        goal: target.label === 'sentinel' ? '< 250 MB' : undefined,
      });
      console.log(
        `    ${target.label.padEnd(20)} ${format(idleRss.get(target.label)! / MB, 0).padStart(4)} -> ${format(peak / MB, 0)} MB${goal}`,
      );
    }
    console.log(`  load generator: at most ${format(generatorCpu * 100, 0)} % of one core in any round`);
    const sentinelRate = (scenario: Scenario) =>
      median(
        results
          .get(scenario)!
          .get('sentinel')!
          .map((sample) => sample.result.rate),
      );
    reportResult({
      bench: 'fast-path',
      figure: 'secured read (JWT + session + RBAC + audit + metrics)',
      value: sentinelRate(read),
      unit: 'req/s',
      baseline: { name: 'a bare route of the same app (/health/live)', value: sentinelRate(live) },
    });
    await workers(sql, databaseUrl, targets[0]);
  } finally {
    await sql?.end();
    await Promise.all(targets.map((target) => target.stop()));
    await db.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
