/**
 * Where the built server's time goes on the secured read and the POST, and how many SQL statements
 * each request sends. Two runs of dist/src/main.js on a database of its own:
 *  1. through a counting proxy in front of PostgreSQL (support/pg-statement-counter.ts): statements and
 *     round trips per request, by statement, with the server's background work measured idle and taken out;
 *  2. under `node --cpu-prof`, straight to PostgreSQL: BENCH_PROFILE_SECONDS of load on each route, then a
 *     graceful stop; the samples of each route's window are summarised by module and by function.
 * Prints the report and writes it to bench/PROFILE.md (BENCH_PROFILE_OUT). Re-run after each change.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { adminToken } from './support/admin-session';
import {
  agentCreate,
  createAgent,
  INITIAL_PASSWORD,
  type RouteLoad,
  type RouteTarget,
  securedRead,
  sentinelEnv,
} from './support/agent-routes';
import { type CpuProfile, type Entry, monotonicMicros, type ProfileSummary, summarize } from './support/cpu-profile';
import { benchDatabases, LOCAL_POSTGRES } from './support/databases';
import { load, type LoadResult } from './support/load';
import { countsBetween, StatementCounter, type StatementCounts } from './support/pg-statement-counter';
import { cpuSeconds, processTree } from './support/processes';
import { startServer } from './support/server';
import { format } from './support/stats';

const PROFILE_SECONDS = Number(process.env.BENCH_PROFILE_SECONDS ?? 10);
const COUNT_REQUESTS = Number(process.env.BENCH_COUNT_REQUESTS ?? 2_000);
const OUT = process.env.BENCH_PROFILE_OUT ?? join(process.cwd(), 'bench', 'PROFILE.md');
const CONNECTIONS = 16;
const WARMUP_MS = 3_000;
/** Long enough for every batched writer (audit 20 ms, logs 200 ms, metrics 1 s) to have flushed. */
const SETTLE_MS = 3_000;
const BACKGROUND_MS = 10_000;
const TOP_MODULES = 25;
const TOP_FUNCTIONS = 30;
const TOP_STATEMENTS = 12;

interface Route {
  title: string;
  spec: (target: RouteTarget) => RouteLoad;
}

const ROUTES: Route[] = [
  { title: 'GET /api/v1/agents/:id (secured read)', spec: securedRead },
  { title: 'POST /api/v1/agents (insert + audit row, answered after COMMIT)', spec: agentCreate },
];

interface StatementReport {
  requests: number;
  statementsPerRequest: number;
  roundTripsPerRequest: number;
  /** Statement text -> per request, background taken out. */
  perStatement: [string, number][];
}

interface ProfileReport {
  result: LoadResult;
  cpuMsPerRequest: number;
  summary: ProfileSummary;
}

async function sentinelTarget(databaseUrl: string, nodeArgs: string[] = []) {
  const server = await startServer(sentinelEnv(databaseUrl), { nodeArgs });
  const token = await adminToken(server.baseUrl, INITIAL_PASSWORD);
  const agentId = await createAgent({ baseUrl: server.baseUrl, token }, `profile-${process.pid}-${Date.now()}`);
  return { server, target: { baseUrl: server.baseUrl, token, agentId } };
}

function perSecond(counts: StatementCounts, seconds: number): Map<string, number> {
  return new Map([...counts.byText].map(([text, count]) => [text, count / seconds]));
}

/** Phase 1: statements per request through the counting proxy. */
interface StatementCounting {
  /** Statements per second while idle, and the commonest of them. */
  background: number;
  backgroundTop: [string, number][];
  routes: StatementReport[];
}

async function countStatements(databaseUrl: string): Promise<StatementCounting> {
  const counter = await StatementCounter.start(databaseUrl);
  const { server, target } = await sentinelTarget(counter.url);
  try {
    for (const route of ROUTES) await load({ ...route.spec(target), connections: CONNECTIONS, amount: 200 });
    await delay(SETTLE_MS);
    const idleFrom = counter.snapshot();
    const idleStarted = performance.now();
    await delay(BACKGROUND_MS);
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    const idle = countsBetween(idleFrom, counter.snapshot());
    const backgroundRate = perSecond(idle, idleSeconds);
    const routes: StatementReport[] = [];
    for (const route of ROUTES) {
      const before = counter.snapshot();
      const started = performance.now();
      const result = await load({ ...route.spec(target), connections: CONNECTIONS, amount: COUNT_REQUESTS });
      await delay(SETTLE_MS);
      const seconds = (performance.now() - started) / 1000;
      const delta = countsBetween(before, counter.snapshot());
      if (delta.unreadable > 0)
        throw new Error('a connection to PostgreSQL used TLS: its statements cannot be counted');
      const background = (text: string) => (backgroundRate.get(text) ?? 0) * seconds;
      const perStatement = [...delta.byText]
        .map(([text, count]): [string, number] => [text, Math.max(0, count - background(text)) / result.requests])
        .filter(([, perRequest]) => perRequest >= 0.005)
        .sort((a, b) => b[1] - a[1]);
      const backgroundStatements = (idle.statements / idleSeconds) * seconds;
      const backgroundRoundTrips = (idle.roundTrips / idleSeconds) * seconds;
      routes.push({
        requests: result.requests,
        statementsPerRequest: (delta.statements - backgroundStatements) / result.requests,
        roundTripsPerRequest: (delta.roundTrips - backgroundRoundTrips) / result.requests,
        perStatement,
      });
    }
    const backgroundTop = [...backgroundRate].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return { background: idle.statements / idleSeconds, backgroundTop, routes };
  } finally {
    await server.stop();
    await counter.close();
  }
}

/** Phase 2: one profiled server, one window of samples per route. */
async function profileRoutes(databaseUrl: string): Promise<ProfileReport[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-cpu-prof-'));
  try {
    const { server, target } = await sentinelTarget(databaseUrl, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const windows: { fromUs: number; toUs: number; result: LoadResult; cpuSeconds: number }[] = [];
    try {
      for (const route of ROUTES) {
        await load({ ...route.spec(target), connections: CONNECTIONS, durationMs: WARMUP_MS });
      }
      for (const route of ROUTES) {
        // The server's workers, when it has some, write profiles of their own; all are read.
        const pids = processTree(server.pid);
        const cpuBefore = cpuSeconds(pids);
        const fromUs = monotonicMicros();
        const result = await load({
          ...route.spec(target),
          connections: CONNECTIONS,
          durationMs: PROFILE_SECONDS * 1000,
        });
        const toUs = monotonicMicros();
        windows.push({ fromUs, toUs, result, cpuSeconds: cpuSeconds(pids) - cpuBefore });
      }
    } finally {
      // A graceful stop: the profile is written as the process exits.
      await server.stop();
    }
    const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile'));
    if (files.length === 0) throw new Error('the server wrote no .cpuprofile (did it exit gracefully?)');
    const profiles = await Promise.all(
      files.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as CpuProfile),
    );
    return windows.map((window) => ({
      result: window.result,
      cpuMsPerRequest: (window.cpuSeconds * 1000) / window.result.requests,
      summary: summarize(profiles, process.cwd(), window),
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function percent(us: number, of: number): string {
  return `${format((100 * us) / of, 1)} %`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function shorten(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function entryTable(entries: Entry[], busyUs: number, withModule: boolean): string[] {
  const head = withModule ? '| function | module | self | total |' : '| module | self | total |';
  const rule = withModule ? '| --- | --- | ---: | ---: |' : '| --- | ---: | ---: |';
  return [
    head,
    rule,
    ...entries.map((entry) =>
      withModule
        ? `| \`${cell(entry.name)}\` | ${cell(entry.module ?? '')} | ${percent(entry.selfUs, busyUs)} | ${percent(entry.totalUs, busyUs)} |`
        : `| ${cell(entry.name)} | ${percent(entry.selfUs, busyUs)} | ${percent(entry.totalUs, busyUs)} |`,
    ),
  ];
}

function render(
  statements: StatementCounting,
  profiles: ProfileReport[],
  context: { loadBefore: number; loadAfter: number; startedAt: Date },
): string {
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty =
    git(['status', '--porcelain', '--', 'src', 'migrations']) === '' ? '' : ' (with uncommitted changes in src/)';
  const lines: string[] = [
    '# Sentinel CPU profile: secured read and POST',
    '',
    `Written by \`npm run bench:profile\` (bench/profile.ts) on ${context.startedAt.toISOString()}, commit ${commit || 'unknown'}${dirty}, ` +
      `node ${process.version}, ${availableParallelism()} cores. The machine is shared and noisy (other engineers' ` +
      `tests run on it): load average ${format(context.loadBefore, 1)} before, ${format(context.loadAfter, 1)} after. ` +
      "Percentages are shares of the server's busy CPU time; throughput under the profiler is lower than without it " +
      'and is not a benchmark (see `npm run bench:fast-path`).',
    '',
    '## SQL statements per request',
    '',
    `Counted on the wire by a proxy between the server and PostgreSQL (every Execute and simple Query is one ` +
      `statement; every Sync or simple Query one round trip), ${COUNT_REQUESTS} requests per route at ${CONNECTIONS} ` +
      `connections, batched writers flushed, and the server's background work measured idle for ${BACKGROUND_MS / 1000} s ` +
      `(${format(statements.background, 2)} statements/s) taken out. No change to the server is needed.`,
    '',
    'Idle, the commonest background statements:',
    '',
    '| per second | statement |',
    '| ---: | --- |',
    ...statements.backgroundTop.map(([text, rate]) => `| ${format(rate, 2)} | \`${cell(shorten(text))}\` |`),
    '',
  ];
  ROUTES.forEach((route, i) => {
    const report = statements.routes[i];
    lines.push(
      `### ${route.title}`,
      '',
      `${format(report.statementsPerRequest, 2)} statements and ${format(report.roundTripsPerRequest, 2)} round trips per request.`,
      '',
      '| per request | statement |',
      '| ---: | --- |',
      ...report.perStatement
        .slice(0, TOP_STATEMENTS)
        .map(([text, perRequest]) => `| ${format(perRequest, 2)} | \`${cell(shorten(text))}\` |`),
      '',
    );
  });
  lines.push(
    '## CPU by module and function',
    '',
    `\`node --cpu-prof\`, ${PROFILE_SECONDS} s of ${CONNECTIONS}-connection load per route after a ${WARMUP_MS / 1000} s ` +
      "warm-up; only the samples taken inside each route's window. Modules: a node_modules package, `src/<folder>` " +
      "for Sentinel's own code, `node:<area>` for Node's internals; builtins without a script count in their " +
      "caller's module. Self: time in the module's (function's) own frames; total: time with it anywhere on the stack.",
    '',
  );
  ROUTES.forEach((route, i) => {
    const { result, cpuMsPerRequest, summary } = profiles[i];
    lines.push(
      `### ${route.title}`,
      '',
      `${result.requests} requests, ${format(result.rate, 0)} req/s under the profiler, ${format(cpuMsPerRequest, 2)} ms of ` +
        `server CPU per request; ${summary.samples} samples, ${percent(summary.busyUs, summary.sampledUs)} busy.`,
      '',
      ...entryTable(summary.byModule.slice(0, TOP_MODULES), summary.busyUs, false),
      '',
      `Sentinel's own modules, total time: ${summary.byModule
        .filter((entry) => entry.name.startsWith('src'))
        .sort((a, b) => b.totalUs - a.totalUs)
        .map((entry) => `${entry.name} ${percent(entry.totalUs, summary.busyUs)}`)
        .join(', ')}.`,
      '',
      `Top ${TOP_FUNCTIONS} functions by self time:`,
      '',
      ...entryTable(summary.byFunction.slice(0, TOP_FUNCTIONS), summary.busyUs, true),
      '',
    );
  });
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg()[0];
  const db = await benchDatabases(process.env.BENCH_DATABASE_URL ?? LOCAL_POSTGRES);
  try {
    const databaseUrl = await db.url('profile');
    const statements = await countStatements(databaseUrl);
    const profiles = await profileRoutes(databaseUrl);
    const markdown = render(statements, profiles, { loadBefore, loadAfter: loadavg()[0], startedAt });
    await writeFile(OUT, markdown);
    console.log(markdown);
    console.log(`written to ${relative(process.cwd(), OUT)}`);
  } finally {
    await db.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
