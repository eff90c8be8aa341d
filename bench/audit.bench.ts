import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { AuditQueryService } from '../src/audit/audit-query.service';
import type { AuditEntry } from '../src/audit/audit-entry';
import { AuditTrail } from '../src/audit/audit-trail.service';
import { PartitionMaintenanceService } from '../src/database/partition-maintenance.service';
import { Transactions } from '../src/database/transactions/transactions.service';
import type { ListAuditLogsQueryDto } from '../src/audit/dto/audit-query.dto';
import { adminToken } from './support/admin-session';
import { BENCH_SHARED_KEYS, startServer, type BenchServer } from './support/server';
import { format, quantile, runFor } from './support/stats';
import { reportResult } from './support/result';

const INITIAL_PASSWORD = 'Bench-lantern-passphrase-4417';
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 5_000);
const ROUNDS = 3;
const CONNECTIONS = 16;
/** The sizes the filtered queries are measured at, in rows generated; the table grows from one to the next. */
const GENERATED_ROWS = (process.env.BENCH_AUDIT_ROWS ?? '1000000,10000000')
  .split(',')
  .map((rows) => Number(rows.trim()))
  .sort((a, b) => a - b);
/** The instant the seeded history ends, e.g. 2027-01-01T00:30:00Z to check the first hour of a month. */
const HISTORY_ENDS = new Date(process.env.BENCH_AUDIT_NOW ?? Date.now());

interface Target {
  server: BenchServer;
  token: string;
}

async function startTarget(auditEnabled: boolean): Promise<Target> {
  const server = await startServer({
    ADMIN_INITIAL_PASSWORD: INITIAL_PASSWORD,
    PASSWORD_PBKDF2_ITERATIONS: '100000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    AUDIT_ENABLED: String(auditEnabled),
  });
  return { server, token: await adminToken(server.baseUrl, INITIAL_PASSWORD) };
}

/** POST /api/v1/proposals: a state-changing request, answered only after its audit row commits when audit is on. */
async function writesPerSecond(target: Target): Promise<number> {
  const body = JSON.stringify({ title: 'bench', diff: '--- a\n+++ b\n' });
  const completed = await runFor(ROUND_MS, CONNECTIONS, async () => {
    const response = await fetch(`${target.server.baseUrl}/api/v1/proposals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
      body,
    });
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`unexpected ${response.status}`);
  });
  return completed / (ROUND_MS / 1000);
}

async function httpOverhead(): Promise<void> {
  const off = await startTarget(false);
  const on = await startTarget(true);
  try {
    await writesPerSecond(off);
    await writesPerSecond(on);
    const offRates: number[] = [];
    const onRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      offRates.push(await writesPerSecond(off));
      onRates.push(await writesPerSecond(on));
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log(
      `audit on vs off, POST /api/v1/proposals, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s`,
    );
    console.log(
      `  audit off: ${offRates.map((rate) => format(rate, 0)).join(', ')} req/s (mean ${format(mean(offRates), 0)})`,
    );
    console.log(
      `  audit on:  ${onRates.map((rate) => format(rate, 0)).join(', ')} req/s (mean ${format(mean(onRates), 0)})`,
    );
    console.log(`  on / off = ${format(mean(onRates) / mean(offRates), 2)}x (goal >= 0.90x)`);
    reportResult({
      bench: 'audit',
      figure: 'POST /api/v1/proposals with audit on',
      value: mean(onRates),
      unit: 'req/s',
      baseline: { name: 'the same with AUDIT_ENABLED=false', value: mean(offRates) },
      goal: '>= 0.90x',
    });
  } finally {
    await Promise.all([off.server.stop(), on.server.stop()]);
  }
}

async function inProcess(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sentinel-bench-audit-'));
  Object.assign(process.env, { DATA_DIR: dataDir, LOG_LEVEL: 'error', ADMIN_INITIAL_PASSWORD: INITIAL_PASSWORD });
  if (process.env.BENCH_DATABASE_URL) {
    Object.assign(process.env, {
      DATABASE_URL: process.env.BENCH_DATABASE_URL,
      ...BENCH_SHARED_KEYS,
    });
  }
  // Configuration is read when the context starts, so the environment above applies.
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  try {
    await ingestion(app.get(AuditTrail), app.get(Transactions));
    await queries(app.get(DataSource), app.get(AuditQueryService), app.get(PartitionMaintenanceService));
  } finally {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function ingestion(trail: AuditTrail, transactions: Transactions): Promise<void> {
  const transactional = 20_000;
  let started = performance.now();
  await runConcurrently(transactional, CONNECTIONS, (i) =>
    transactions.run(() => trail.record(systemEntry(i, 'bench.in-transaction'))),
  );
  await trail.flush();
  const transactionalRate = transactional / ((performance.now() - started) / 1000);

  const queued = 100_000;
  started = performance.now();
  for (let i = 0; i < queued; i++) await trail.recordRequest(systemEntry(i, 'bench.queued'));
  await trail.flush();
  const queuedRate = queued / ((performance.now() - started) / 1000);
  console.log('audit ingestion at saturation (in-process, one instance), each row chained before the clock stops');
  console.log(
    `  in-transaction rows (one transaction each, ${CONNECTIONS} at a time): ${format(transactionalRate, 0)} rows/s over ${transactional} rows`,
  );
  console.log(
    `  queued rows (reads):                                 ${format(queuedRate, 0)} rows/s over ${queued} rows`,
  );
  reportResult({
    bench: 'audit',
    figure: 'audit rows in their own transaction',
    value: transactionalRate,
    unit: 'rows/s',
  });
  reportResult({ bench: 'audit', figure: 'audit rows queued (reads)', value: queuedRate, unit: 'rows/s' });
}

async function runConcurrently(total: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await work(next++);
    }),
  );
}

function systemEntry(i: number, actionType: string): AuditEntry {
  return {
    createdAt: new Date(),
    userId: null,
    username: 'system',
    sessionId: null,
    apiKeyId: null,
    actionType,
    resourceType: 'thing',
    resourceId: String(i),
    actionDetails: { i },
    ipAddress: '127.0.0.1',
    userAgent: null,
    requestMethod: 'GET',
    requestPath: '/bench',
    responseStatus: 200,
    executionTimeMs: 1,
    success: true,
    allowed: true,
    errorMessage: null,
    errorCode: null,
    metadata: null,
    traceId: `bench-${i}`,
  };
}

async function queries(
  sql: DataSource,
  auditQueries: AuditQueryService,
  partitions: PartitionMaintenanceService,
): Promise<void> {
  // The history spans the last 24 hours, which on the first day of a month reach into the previous one.
  await partitions.ensurePartitionsCovering('audit_logs', new Date(HISTORY_ENDS.getTime() - 86_400_000), HISTORY_ENDS);
  let generated = 0;
  for (const rows of GENERATED_ROWS) {
    const started = performance.now();
    await generateHistory(sql, generated + 1, rows);
    generated = rows;
    const seconds = (performance.now() - started) / 1000;
    const total = (await sql.query<{ count: string }[]>('SELECT count(*) FROM audit_logs'))[0].count;
    console.log(
      `filtered audit queries on ${total} rows (grown in ${format(seconds, 1)} s), 50 runs each, first page of 50`,
    );
    await measureQueries(auditQueries, total, rows);
  }
}

/** Rows numbered `from` to `to` of a day of history: 500 users, 2000 agents, one failure in 17. */
async function generateHistory(sql: DataSource, from: number, to: number): Promise<void> {
  await sql.query(
    `INSERT INTO audit_logs (id, created_at, user_id, username, action_type, resource_type, resource_id, ip_address,
                             request_method, request_path, response_status, execution_time_ms, success, allowed,
                             trace_id, prev_hash, hash)
     SELECT nextval('audit_logs_id_seq'), $3::timestamptz - (n % 86400) * interval '1 second',
            ('00000000-0000-4000-8000-' || lpad((n % 500)::text, 12, '0'))::uuid, 'user' || (n % 500),
            (ARRAY['agents.list','agents.update','proposals.approve','auth.login','users.list'])[1 + n % 5],
            'agent', 'agent-' || (n % 2000), ('10.0.' || (n % 250) || '.' || (n % 200))::inet, 'GET', '/api/v1/agents', 200,
            n % 50, n % 17 <> 0, true, 'trace-' || n, '', ''
       FROM generate_series($1::bigint, $2::bigint) AS n`,
    [from, to, HISTORY_ENDS],
  );
  await sql.query('ANALYZE audit_logs');
}

async function measureQueries(auditQueries: AuditQueryService, total: string, generated: number): Promise<void> {
  const filters: [string, Partial<ListAuditLogsQueryDto>][] = [
    ['by user', { userId: '00000000-0000-4000-8000-000000000042' }],
    ['by action', { action: 'proposals.approve' }],
    ['by resource', { resourceType: 'agent', resourceId: 'agent-1234' }],
    ['by trace id', { traceId: `trace-${Math.floor(generated / 2)}` }],
    ['failures in the last hour', { success: false, from: new Date(HISTORY_ENDS.getTime() - 3_600_000).toISOString() }],
  ];
  for (const [label, filter] of filters) {
    const latencies: number[] = [];
    for (let run = 0; run < 50; run++) {
      const runStarted = performance.now();
      await auditQueries.list({ limit: 50, ...filter });
      latencies.push(performance.now() - runStarted);
    }
    console.log(
      `  ${label.padEnd(26)} p50 ${format(quantile(latencies, 0.5), 2)} ms, p95 ${format(quantile(latencies, 0.95), 2)} ms`,
    );
    reportResult({
      bench: 'audit',
      figure: `audit query ${label}, p95 at ${total} rows`,
      value: quantile(latencies, 0.95),
      unit: 'ms',
    });
  }
}

async function main(): Promise<void> {
  await httpOverhead();
  await inProcess();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
