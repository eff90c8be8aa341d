import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Public } from '../../src/common/decorators/public.decorator';
import { REDACTED } from '../../src/common/redaction/redact.util';
import { isWhollyExpired, monthlyPartition } from '../../src/database/monthly-partition.util';
import { AppLogger } from '../../src/observability/logging/app-logger.service';
import type { LogEntryDto } from '../../src/observability/logging/dto/log-query.dto';
import { PartitionMaintenanceService } from '../../src/database/partition-maintenance.service';
import { LogStoreWriter } from '../../src/observability/logging/log-store-writer.service';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, type HttpResult, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createTestDatabase } from '../support/test-database';
import { createUser, type TestUser, tokenFor } from '../support/users';

interface LogPage {
  items: LogEntryDto[];
  total: number;
  limit: number;
  offset: number;
}

type LoggerMethod = 'debug' | 'log' | 'warn' | 'error' | 'fatal';

const SECRETS = { password: 'pw-e2e-9f3k2q', token: 'tok-e2e-7h1m4z', apiKey: 'key-e2e-2b8x6w' };
const DAY_MS = 24 * 60 * 60 * 1000;

/** Mounted only in these tests: a request that logs credentials, and one that fails with a bug. */
@Public()
@Controller('test-only-logs')
class LogsProbeController {
  private readonly logger = new Logger('LogsProbe');

  @Get('work')
  work(): { done: true } {
    this.logger.warn({ message: 'probe work done', user: 'alice', ...SECRETS });
    return { done: true };
  }

  @Get('fail')
  fail(): never {
    throw new Error('probe failure');
  }
}

/** Everything logged so far is in the table: winston delivers a tick later, then the writer's batch. */
async function flushLogs(testApp: TestApp): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await testApp.app.get(LogStoreWriter).flush();
}

function readLogs(testApp: TestApp, token: string, query: Record<string, string>): Promise<HttpResult<LogPage>> {
  return request<LogPage>(testApp.baseUrl, `/api/v1/logs?${new URLSearchParams(query).toString()}`, { token });
}

async function messages(testApp: TestApp, token: string, query: Record<string, string>): Promise<string[]> {
  const result = await readLogs(testApp, token, query);
  expect(result.status).toBe(200);
  return result.body.items.map((item) => item.message);
}

// Apps one after another, never two at once: passport keeps its strategies per process.
describe('logs: GET /api/v1/logs', () => {
  const clock = new TestClock();
  const times: string[] = [];
  let testApp: TestApp;
  let token: string;
  let operator: TestUser;

  beforeAll(async () => {
    testApp = await createTestApp({ LOG_STORE_LEVEL: 'info' }, { clock, controllers: [LogsProbeController] });
    operator = await createUser(testApp.app, { role: Role.Operator });
    token = await tokenFor(testApp.baseUrl, operator);
    const logger = testApp.app.get(AppLogger);
    const seeds: [LoggerMethod, string, string][] = [
      ['log', 'alpha started', 'LogsSpec'],
      ['warn', 'Beta slow', 'LogsSpec'],
      ['error', 'gamma FAILED', 'LogsSpec'],
      ['fatal', 'delta down', 'LogsSpec'],
      ['debug', 'epsilon detail, below the store level', 'LogsSpec'],
      ['log', 'disk at 95% of quota', 'LogsSpec'],
      ['error', 'other module failed', 'OtherSpec'],
    ];
    // A minute apart, so order and time ranges are exact.
    for (const [method, message, module] of seeds) {
      clock.advanceMinutes(1);
      times.push(clock.now().toISOString());
      logger[method](message, module);
    }
    await flushLogs(testApp);
  });

  afterAll(() => testApp.close());

  it('answers 401 without credentials and 403 to an API key without logs:read', async () => {
    expectErrorBody(await request(testApp.baseUrl, '/api/v1/logs'), 401);
    const issue = async (permissions: string[]): Promise<string> => {
      const issued = await request<{ key: string }>(testApp.baseUrl, '/api/v1/api-keys', {
        method: 'POST',
        token,
        // The test clock has moved past the login's recent-proof window: prove it again.
        json: { name: `logs-${permissions.join('-')}`, permissions, currentPassword: operator.password },
      });
      expect(issued.status).toBe(201);
      return issued.body.key;
    };
    const withoutLogs = await issue(['agents:read']);
    expectErrorBody(await request(testApp.baseUrl, '/api/v1/logs', { headers: { 'x-api-key': withoutLogs } }), 403);
    const withLogs = await issue(['logs:read']);
    expect((await request(testApp.baseUrl, '/api/v1/logs', { headers: { 'x-api-key': withLogs } })).status).toBe(200);
  });

  it('lets an OPERATOR and an AUDITOR read entries at the store level and above, newest first', async () => {
    const all = await readLogs(testApp, token, { module: 'LogsSpec' });
    expect(all.status).toBe(200);
    expect(all.body.items.map((item) => item.message)).toEqual([
      'disk at 95% of quota',
      'delta down',
      'gamma FAILED',
      'Beta slow',
      'alpha started',
    ]);
    expect(all.body.items[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      createdAt: times[5],
      level: 'info',
      message: 'disk at 95% of quota',
      module: 'LogsSpec',
      traceId: null,
      context: null,
    });
    const auditorToken = await tokenFor(testApp.baseUrl, await createUser(testApp.app, { role: Role.Auditor }));
    expect((await readLogs(testApp, auditorToken, { module: 'LogsSpec' })).body.total).toBe(5);
  });

  it('filters by level, meaning that level and the more severe ones', async () => {
    expect(await messages(testApp, token, { module: 'LogsSpec', level: 'warning' })).toEqual([
      'delta down',
      'gamma FAILED',
      'Beta slow',
    ]);
    expect(await messages(testApp, token, { module: 'LogsSpec', level: 'critical' })).toEqual(['delta down']);
    expect(await messages(testApp, token, { module: 'LogsSpec', level: 'debug' })).toHaveLength(5);
    const errors = await readLogs(testApp, token, { level: 'error' });
    expect(new Set(errors.body.items.map((item) => item.level))).toEqual(new Set(['error', 'critical']));
    expect(errors.body.items.map((item) => item.message)).toContain('other module failed');
  });

  it('filters by module and by time range (from inclusive, to exclusive)', async () => {
    expect(await messages(testApp, token, { module: 'OtherSpec' })).toEqual(['other module failed']);
    expect(await messages(testApp, token, { module: 'LogsSpec', from: times[1], to: times[3] })).toEqual([
      'gamma FAILED',
      'Beta slow',
    ]);
    expect(await messages(testApp, token, { from: times[6] })).toEqual(['other module failed']);
  });

  it('searches the message for a substring, ignoring case, with % and _ as plain characters', async () => {
    expect(await messages(testApp, token, { q: 'GAMMA' })).toEqual(['gamma FAILED']);
    expect(await messages(testApp, token, { module: 'LogsSpec', q: '95%' })).toEqual(['disk at 95% of quota']);
    expect(await messages(testApp, token, { module: 'LogsSpec', q: '%' })).toEqual(['disk at 95% of quota']);
    expect(await messages(testApp, token, { module: 'LogsSpec', q: '_' })).toEqual([]);
  });

  it('pages with limit and offset, reporting the total on every page', async () => {
    const pageAt = async (offset: number) =>
      (await readLogs(testApp, token, { module: 'LogsSpec', limit: '2', offset: String(offset) })).body;
    expect(await pageAt(0)).toMatchObject({ total: 5, limit: 2, offset: 0 });
    expect((await pageAt(0)).items.map((item) => item.message)).toEqual(['disk at 95% of quota', 'delta down']);
    expect((await pageAt(2)).items.map((item) => item.message)).toEqual(['gamma FAILED', 'Beta slow']);
    expect((await pageAt(4)).items.map((item) => item.message)).toEqual(['alpha started']);
    expect((await pageAt(6)).items).toEqual([]);
  });

  const invalidQueries: Record<string, string>[] = [
    { limit: '0' },
    { limit: '101' },
    { level: 'verbose' },
    { from: 'yesterday' },
    { unknown: 'x' },
  ];
  it.each(invalidQueries)('refuses the query %j with the uniform 400', async (query) => {
    expectErrorBody(await readLogs(testApp, token, query), 400);
  });

  it('stores a request’s entries under its trace id, with credentials redacted', async () => {
    const traceId = 'logs-e2e-trace-1';
    const work = await request(testApp.baseUrl, '/api/v1/test-only-logs/work', {
      headers: { 'x-request-id': traceId },
    });
    expect(work.status).toBe(200);
    await flushLogs(testApp);
    const result = await readLogs(testApp, token, { traceId });
    expect(result.body.items).toEqual([
      expect.objectContaining({
        level: 'warning',
        message: 'probe work done',
        module: 'LogsProbe',
        traceId,
        context: { user: 'alice', password: REDACTED, token: REDACTED, apiKey: REDACTED },
      }),
    ]);
    const raw = JSON.stringify(result.body);
    for (const secret of Object.values(SECRETS)) expect(raw).not.toContain(secret);
  });

  it('stores a 500’s error with its stack under the request’s trace id', async () => {
    const traceId = 'logs-e2e-fail-1';
    expectErrorBody(
      await request(testApp.baseUrl, '/api/v1/test-only-logs/fail', { headers: { 'x-request-id': traceId } }),
      500,
    );
    await flushLogs(testApp);
    const [entry, ...rest] = (await readLogs(testApp, token, { traceId, level: 'error' })).body.items;
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      level: 'error',
      module: 'ExceptionFilter',
      message: 'GET /api/v1/test-only-logs/fail failed: probe failure',
      traceId,
    });
    const stack = (entry.context as { stack: string }).stack;
    expect(stack).toContain('Error: probe failure');
    expect(stack).toContain('LogsProbeController.fail');
  });
});

describe('logs: store level and retention', () => {
  const clock = new TestClock();
  let testApp: TestApp;
  let admin: { username: string; password: string };

  beforeAll(async () => {
    testApp = await createTestApp(
      { LOG_STORE_LEVEL: 'error', LOG_LEVEL: 'critical', LOG_RETENTION_DAYS: '30' },
      { clock },
    );
    admin = await createUser(testApp.app, { role: Role.Admin });
  });

  afterAll(() => testApp.close());

  // A fresh login each time: the clock moves far enough for any session to idle out.
  const stored = async (module: string): Promise<LogEntryDto[]> =>
    (await readLogs(testApp, await tokenFor(testApp.baseUrl, admin), { module })).body.items;

  const partitions = async (): Promise<string[]> =>
    (
      await testApp.app.get(DataSource).query<{ name: string }[]>(
        `SELECT child.relname AS name FROM pg_inherits
           JOIN pg_class child ON child.oid = pg_inherits.inhrelid
          WHERE pg_inherits.inhparent = 'app_logs'::regclass ORDER BY 1`,
      )
    ).map((row) => row.name);

  it('always stores errors at the store level, whatever LOG_LEVEL, and nothing less severe', async () => {
    const logger = testApp.app.get(AppLogger);
    const lines: [LoggerMethod, string][] = [
      ['debug', 'debug line'],
      ['log', 'info line'],
      ['warn', 'warning line'],
      ['error', 'error line'],
      ['fatal', 'critical line'],
    ];
    for (const [method, message] of lines) {
      clock.advanceMinutes(1);
      logger[method](message, 'StoreLevel');
    }
    await flushLogs(testApp);
    expect((await stored('StoreLevel')).map((entry) => [entry.level, entry.message])).toEqual([
      ['critical', 'critical line'],
      ['error', 'error line'],
    ]);
  });

  it('skips the upkeep while another instance holds the job’s lock', async () => {
    const other = new Client({ connectionString: testApp.databaseUrl });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtextextended('sentinel:partition-upkeep', 0))`);
      clock.advance(400 * DAY_MS);
      expect(await testApp.app.get(PartitionMaintenanceService).upkeep()).toBeUndefined();
      clock.advance(-400 * DAY_MS);
      expect(await stored('StoreLevel')).toHaveLength(2);
    } finally {
      await other.end();
    }
  });

  it('drops the partitions older than LOG_RETENTION_DAYS, and stores new entries in the new ones', async () => {
    const start = clock.now();
    const old = [-1, 0, 1].map((offset) => monthlyPartition('app_logs', start, offset).name);
    expect(await partitions()).toEqual(['app_logs_default', ...old]);

    clock.advance(120 * DAY_MS);
    const dropped = await testApp.app.get(PartitionMaintenanceService).upkeep();
    // Every partition the start-up kept goes; so may months that only stray rows (a moved clock) had asked for.
    expect(dropped?.get('app_logs')).toEqual(expect.arrayContaining(old));
    const now = clock.now();
    // Last month's partition too, unless retention would drop it at once.
    const kept = [-1, 0, 1]
      .map((offset) => monthlyPartition('app_logs', now, offset))
      .filter((partition) => !isWhollyExpired(partition, now, 30));
    expect(await partitions()).toEqual(['app_logs_default', ...kept.map((partition) => partition.name)]);

    // Read with SQL from here on: at this far-off time other features' tables (audit) have no partition yet.
    testApp.app.get(AppLogger).error('after retention', 'StoreLevel');
    await flushLogs(testApp);
    const rows = await testApp.app
      .get(DataSource)
      .query<{ message: string; created_at: Date }[]>(`SELECT message, created_at FROM app_logs WHERE module = $1`, [
        'StoreLevel',
      ]);
    expect(rows).toEqual([{ message: 'after retention', created_at: now }]);
  });
});

describe('logs: the file, secrets and shutdown', () => {
  it('keeps credentials out of the JSON file and the store, and stores what was queued at shutdown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-logs-e2e-'));
    const database = await createTestDatabase();
    try {
      const file = join(dir, 'app.log');
      const testApp = await createTestApp(
        { LOGS_FILE: file, LOG_FORMAT: 'pretty', LOG_LEVEL: 'warning', LOG_STORE_LEVEL: 'info' },
        { databaseUrl: database.url, controllers: [LogsProbeController] },
      );
      const traceId = 'logs-e2e-file-1';
      try {
        await request(testApp.baseUrl, '/api/v1/test-only-logs/work', { headers: { 'x-request-id': traceId } });
        // Not flushed: shutdown must write it.
        testApp.app.get(AppLogger).error('said just before shutdown', 'ShutdownSpec');
      } finally {
        await testApp.close();
      }

      // JSON lines, whatever LOG_FORMAT says for stdout; complete once the app has closed the file.
      const text = await readFile(file, 'utf8');
      const lines = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.find((line) => line.traceId === traceId)).toMatchObject({
        level: 'warning',
        message: 'probe work done',
        context: { user: 'alice', password: REDACTED, token: REDACTED, apiKey: REDACTED },
      });
      expect(lines.map((line) => line.message)).toContain('said just before shutdown');

      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ message: string; context: unknown }>(
          `SELECT message, context FROM app_logs WHERE trace_id = $1 OR module = 'ShutdownSpec' ORDER BY id`,
          [traceId],
        );
        expect(rows).toEqual([
          {
            message: 'probe work done',
            context: { user: 'alice', password: REDACTED, token: REDACTED, apiKey: REDACTED },
          },
          { message: 'said just before shutdown', context: null },
        ]);
        for (const secret of Object.values(SECRETS)) {
          expect(text).not.toContain(secret);
          expect(JSON.stringify(rows)).not.toContain(secret);
        }
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
