import { randomUUID } from 'node:crypto';
import { Controller, Get, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Public } from '../../src/common/decorators/public.decorator';
import { TrackExternalCall } from '../../src/observability/metrics/decorators/track-external-call.decorator';
import { MetricsRecorder } from '../../src/observability/metrics/metrics-recorder.service';
import { PartitionMaintenanceService } from '../../src/database/partition-maintenance.service';
import { MetricsStore } from '../../src/observability/metrics/store/metrics-store';
import type { HttpRequestRecord } from '../../src/observability/metrics/store/metric-records';
import { monthlyPartition } from '../../src/database/monthly-partition.util';
import { Permission } from '../../src/rbac/permission';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, tokenFor } from '../support/users';
import { expositionProblems } from './exposition-check';
import { countOf, sampleValue, scrape, storedRequests } from './metrics-support';

const SCRAPE_TOKEN = 'test-only-scrape-token-0123456789abcdef';
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** Makes a real outbound HTTP call through the decorator, as a service calling a paid API would. */
@Injectable()
class StatusProbeClient {
  @TrackExternalCall('status-probe')
  async fetchStatus(url: string): Promise<Response> {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response;
  }
}

/** A route that fails as a bug would: a 500 the sampler must always keep. */
@Public()
@Controller('test-only-metrics')
class FailingController {
  @Get('failure')
  fail(): never {
    throw new Error('deliberate failure for the metrics test');
  }
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('metrics, every request sampled', () => {
  const clock = new TestClock();
  const t0 = clock.now();
  let testApp: TestApp;
  let baseUrl: string;
  let adminToken: string;
  let keyWithoutMetrics: string;
  let keyWithMetrics: string;
  /** A window around the frozen clock, where live requests and calls are recorded. */
  const live = `from=${new Date(t0.getTime() - HOUR).toISOString()}&to=${new Date(t0.getTime() + HOUR).toISOString()}`;

  beforeAll(async () => {
    testApp = await createTestApp(
      { METRICS_SAMPLE_RATE: '1', METRICS_SCRAPE_TOKEN: SCRAPE_TOKEN },
      { clock, providers: [StatusProbeClient] },
    );
    baseUrl = testApp.baseUrl;
    adminToken = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
    keyWithoutMetrics = await issueKey([Permission.AgentsRead]);
    keyWithMetrics = await issueKey([Permission.MetricsRead]);
  });
  afterAll(() => testApp.close());

  async function issueKey(permissions: Permission[]): Promise<string> {
    const issued = await request<{ key: string }>(baseUrl, '/api/v1/api-keys', {
      method: 'POST',
      token: adminToken,
      json: { name: `metrics-${randomUUID()}`, permissions },
    });
    expect(issued.status).toBe(201);
    return issued.body.key;
  }

  async function createAgent(): Promise<string> {
    const created = await request<{ id: string }>(baseUrl, '/api/v1/agents', {
      method: 'POST',
      token: adminToken,
      json: { name: `agent-${randomUUID()}` },
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  async function createToggle(name: string, costPerCall: number): Promise<void> {
    const created = await request(baseUrl, '/api/v1/api-toggles', {
      method: 'POST',
      token: adminToken,
      json: { name, costPerCall, enabled: true },
    });
    expect(created.status).toBe(201);
  }

  async function recordRun(agentId: string, run: { durationMs: number; success: boolean; findings: number }) {
    const startedAt = new Date(t0.getTime() - HOUR).toISOString();
    const result = await request(baseUrl, `/api/v1/agents/${agentId}/runs`, {
      method: 'POST',
      token: adminToken,
      json: { startedAt, ...run },
    });
    expect(result.status).toBe(201);
  }

  describe('/metrics', () => {
    it('serves the Prometheus text format, which a strict reader of the format accepts, labelled by route template, never by raw id', async () => {
      const missingAgent = randomUUID();
      const unknownPath = randomUUID();
      expectErrorBody(await request(baseUrl, `/api/v1/agents/${missingAgent}`, { token: adminToken }), 404);
      expectErrorBody(await request(baseUrl, `/api/v1/no-such-thing/${unknownPath}`, { token: adminToken }), 404);

      const scraped = await request<string>(baseUrl, '/metrics', { headers: bearer(SCRAPE_TOKEN) });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await expositionProblems(scraped.body)).toEqual([]);

      expect(scraped.body).not.toContain(missingAgent);
      expect(scraped.body).not.toContain(unknownPath);
      const samples = await scrape(baseUrl, bearer(SCRAPE_TOKEN));
      const agentTemplate = { method: 'GET', route: '/api/v1/agents/:id', status: '404' };
      expect(sampleValue(samples, 'http_request_duration_seconds_count', agentTemplate)).toBe(1);
      const unmatched = { method: 'GET', route: 'unmatched', status: '404' };
      expect(sampleValue(samples, 'http_request_duration_seconds_count', unmatched)).toBeGreaterThanOrEqual(1);
      // The scrape being answered is itself in flight.
      expect(sampleValue(samples, 'http_requests_in_flight')).toBeGreaterThanOrEqual(1);
      for (const name of [
        'process_cpu_user_seconds_total',
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
      ]) {
        expect({ name, present: sampleValue(samples, name) !== undefined }).toEqual({ name, present: true });
      }
    });

    it('accepts the scrape token and refuses a wrong one, or none, with 401', async () => {
      expect((await request(baseUrl, '/metrics', { headers: bearer(SCRAPE_TOKEN) })).status).toBe(200);
      expectErrorBody(await request(baseUrl, '/metrics', { headers: bearer(`${SCRAPE_TOKEN}x`) }), 401);
      expectErrorBody(await request(baseUrl, '/metrics', { headers: bearer('short') }), 401);
      expectErrorBody(await request(baseUrl, '/metrics'), 401);
    });

    it('accepts a login session or API key with metrics:read, and refuses one without it with 403', async () => {
      const auditor = await createUser(testApp.app, { role: Role.Auditor });
      expect((await request(baseUrl, '/metrics', { token: await tokenFor(baseUrl, auditor) })).status).toBe(200);
      expect((await request(baseUrl, '/metrics', { headers: { 'x-api-key': keyWithMetrics } })).status).toBe(200);
      expectErrorBody(await request(baseUrl, '/metrics', { headers: { 'x-api-key': keyWithoutMetrics } }), 403);
      // The app's own rules apply as on any route: an account that must change its password gets nothing else.
      const restricted = await createUser(testApp.app, { role: Role.Admin, mustChangePassword: true });
      expectErrorBody(await request(baseUrl, '/metrics', { token: await tokenFor(baseUrl, restricted) }), 403);
    });
  });

  describe('stored request records', () => {
    it('keeps every request at METRICS_SAMPLE_RATE=1, each standing for one', async () => {
      const before = countOf(await storedRequests(testApp.app), 'GET', '/api/v1/auth/me', 200);
      for (let i = 0; i < 5; i++) {
        expect((await request(baseUrl, '/api/v1/auth/me', { token: adminToken })).status).toBe(200);
      }
      const rows = await storedRequests(testApp.app);
      expect(countOf(rows, 'GET', '/api/v1/auth/me', 200) - before).toBe(5);
      expect(rows.every((row) => row.weight === 1)).toBe(true);
      expect(rows.filter((row) => /[\da-f]{8}-[\da-f]{4}-/.test(row.route))).toEqual([]);
    });
  });

  describe('@TrackAgentRun', () => {
    it('feeds every run recorded through POST /agents/:id/runs to /metrics and to agent performance', async () => {
      const agentId = await createAgent();
      await recordRun(agentId, { durationMs: 1500, success: true, findings: 2 });
      await recordRun(agentId, { durationMs: 2500, success: true, findings: 3 });
      await recordRun(agentId, { durationMs: 4000, success: false, findings: 0 });

      const samples = await scrape(baseUrl, bearer(SCRAPE_TOKEN));
      const succeeded = { agent_id: agentId, outcome: 'success' };
      expect(sampleValue(samples, 'agent_runs_total', succeeded)).toBe(2);
      expect(sampleValue(samples, 'agent_runs_total', { agent_id: agentId, outcome: 'failure' })).toBe(1);
      expect(sampleValue(samples, 'agent_run_duration_seconds_sum', succeeded)).toBeCloseTo(4, 6);

      await testApp.app.get(MetricsRecorder).flush();
      const performance = await request<Record<string, unknown>>(baseUrl, `/api/v1/metrics/agents/${agentId}`, {
        token: adminToken,
      });
      expect(performance.status).toBe(200);
      expect(performance.body).toMatchObject({ agentId, runs: 3, successfulRuns: 2, totalFindings: 5 });
    });
  });

  describe('@TrackExternalCall', () => {
    it("records a real call's duration, outcome and the toggle's price, and a failed call as a failure", async () => {
      await createToggle('status-probe', 0.0125);
      const client = testApp.app.get(StatusProbeClient);
      expect((await client.fetchStatus(`${baseUrl}/health/live`)).status).toBe(200);
      // Port 1 on loopback refuses the connection: the call throws, and counts as failed.
      await expect(client.fetchStatus('http://127.0.0.1:1/')).rejects.toThrow();
      await testApp.app.get(MetricsRecorder).flush();

      const samples = await scrape(baseUrl, bearer(SCRAPE_TOKEN));
      expect(sampleValue(samples, 'external_api_calls_total', { api: 'status-probe', outcome: 'success' })).toBe(1);
      expect(sampleValue(samples, 'external_api_calls_total', { api: 'status-probe', outcome: 'failure' })).toBe(1);
      expect(sampleValue(samples, 'external_api_cost_total', { api: 'status-probe' })).toBeCloseTo(0.025, 9);
      const summary = await request<{ apiCostPerDay: Record<string, unknown>[] }>(
        baseUrl,
        `/api/v1/metrics/summary?${live}`,
        { token: adminToken },
      );
      expect(summary.body.apiCostPerDay.filter((row) => row.api === 'status-probe')).toEqual([
        expect.objectContaining({ calls: 2, failedCalls: 1, cost: 0.025 }),
      ]);
    });
  });

  describe('POST /api/v1/metrics/api-calls', () => {
    it("records reported calls, at the toggle's price unless a cost is given, and shows their cost in the summary", async () => {
      await createToggle('reported-api', 0.002);
      const report = (json: Record<string, unknown>) =>
        request<Record<string, unknown>>(baseUrl, '/api/v1/metrics/api-calls', {
          method: 'POST',
          token: adminToken,
          json,
        });
      const ok = await report({ api: 'reported-api', durationMs: 120, status: 200 });
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({ api: 'reported-api', durationMs: 120, status: 200, success: true, cost: 0.002 });
      const failed = await report({ api: 'reported-api', durationMs: 80, status: 503 });
      expect(failed.body).toMatchObject({ success: false, cost: 0.002 });
      const priced = await report({ api: 'reported-api', durationMs: 10, status: 0, cost: 0.5 });
      expect(priced.body).toMatchObject({ status: null, success: false, cost: 0.5 });
      expect((await report({ api: 'no-toggle-api', durationMs: 5, status: 200 })).body).toMatchObject({ cost: 0 });

      await testApp.app.get(MetricsRecorder).flush();
      const summary = await request<{ apiCostPerDay: Record<string, unknown>[] }>(
        baseUrl,
        `/api/v1/metrics/summary?${live}`,
        { token: adminToken },
      );
      expect(summary.body.apiCostPerDay.filter((row) => row.api === 'reported-api')).toEqual([
        {
          day: t0.toISOString().slice(0, 10),
          api: 'reported-api',
          calls: 3,
          failedCalls: 2,
          cost: 0.504,
          avgDurationMs: 70,
        },
      ]);
      const samples = await scrape(baseUrl, bearer(SCRAPE_TOKEN));
      expect(sampleValue(samples, 'external_api_cost_total', { api: 'reported-api' })).toBeCloseTo(0.504, 9);
    });

    it('refuses a bad report with 400, no credentials with 401, and a caller without agents:manage with 403', async () => {
      const path = '/api/v1/metrics/api-calls';
      const valid = { api: 'reported-api', durationMs: 1, status: 200 };
      for (const json of [
        { ...valid, durationMs: -1 },
        { ...valid, api: 'has spaces' },
        { ...valid, cost: 0.0000001 },
        { ...valid, extra: true },
      ]) {
        expectErrorBody(await request(baseUrl, path, { method: 'POST', token: adminToken, json }), 400);
      }
      expectErrorBody(await request(baseUrl, path, { method: 'POST', json: valid }), 401);
      const auditor = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Auditor }));
      expectErrorBody(await request(baseUrl, path, { method: 'POST', token: auditor, json: valid }), 403);
    });
  });

  describe('agent performance', () => {
    it('computes success rate, durations, findings and the efficiency score on known runs', async () => {
      const steady = await createAgent();
      const quick = await createAgent();
      for (const [durationMs, success, findings] of [
        [10_000, true, 1],
        [20_000, true, 2],
        [30_000, true, 3],
        [40_000, false, 4],
      ] as const) {
        await recordRun(steady, { durationMs, success, findings });
      }
      await recordRun(quick, { durationMs: 6000, success: true, findings: 0 });
      await recordRun(quick, { durationMs: 6000, success: true, findings: 1 });
      await testApp.app.get(MetricsRecorder).flush();

      const one = await request(baseUrl, `/api/v1/metrics/agents/${steady}`, { token: adminToken });
      // Median 25000 ms of a 60000 ms budget: speed 1 - 25/60; score 0.7 x 0.75 + 0.3 x 0.58333 = 0.7.
      expect(one.body).toEqual({
        agentId: steady,
        agentName: expect.stringMatching(/^agent-/),
        runs: 4,
        successfulRuns: 3,
        successRate: 0.75,
        avgDurationMs: 25_000,
        p50DurationMs: 25_000,
        p95DurationMs: 38_500,
        totalFindings: 10,
        speedScore: 0.5833,
        efficiencyScore: 0.7,
        lastRunAt: new Date(t0.getTime() - HOUR).toISOString(),
      });
      const board = await request<{ agentId: string; efficiencyScore: number }[]>(baseUrl, '/api/v1/metrics/agents', {
        token: adminToken,
      });
      const ours = board.body.filter((row) => row.agentId === steady || row.agentId === quick);
      // All runs succeed, median 6000 ms: 0.7 + 0.3 x 0.9 = 0.97, ahead of 0.7.
      expect(ours.map((row) => [row.agentId, row.efficiencyScore])).toEqual([
        [quick, 0.97],
        [steady, 0.7],
      ]);
    });

    it('counts only runs started in from/to, and answers an agent without runs with runs = 0', async () => {
      const agentId = await createAgent();
      const early = new Date(t0.getTime() - 10 * DAY).toISOString();
      const late = new Date(t0.getTime() - DAY).toISOString();
      for (const startedAt of [early, late]) {
        await request(baseUrl, `/api/v1/agents/${agentId}/runs`, {
          method: 'POST',
          token: adminToken,
          json: { startedAt, durationMs: 100, success: true, findings: 1 },
        });
      }
      await testApp.app.get(MetricsRecorder).flush();
      const since = new Date(t0.getTime() - 5 * DAY).toISOString();
      const filtered = await request(baseUrl, `/api/v1/metrics/agents/${agentId}?from=${since}`, { token: adminToken });
      expect(filtered.body).toMatchObject({ runs: 1, lastRunAt: late });
      const idle = await createAgent();
      const none = await request(baseUrl, `/api/v1/metrics/agents/${idle}`, { token: adminToken });
      expect(none.body).toMatchObject({ agentId: idle, runs: 0, successRate: null, efficiencyScore: null });
    });

    it('answers 404 for an unknown agent, 400 for a bad id or range, 401 and 403', async () => {
      expectErrorBody(await request(baseUrl, `/api/v1/metrics/agents/${randomUUID()}`, { token: adminToken }), 404);
      expectErrorBody(await request(baseUrl, '/api/v1/metrics/agents/not-a-uuid', { token: adminToken }), 400);
      const backwards = `from=${t0.toISOString()}&to=${new Date(t0.getTime() - DAY).toISOString()}`;
      expectErrorBody(await request(baseUrl, `/api/v1/metrics/agents?${backwards}`, { token: adminToken }), 400);
      for (const path of ['/api/v1/metrics/agents', `/api/v1/metrics/agents/${randomUUID()}`]) {
        expectErrorBody(await request(baseUrl, path), 401);
        expectErrorBody(await request(baseUrl, path, { headers: { 'x-api-key': keyWithoutMetrics } }), 403);
      }
    });
  });

  describe('summary and export', () => {
    /** Known records an hour and more after the frozen clock, away from what live requests record. */
    const known = { from: new Date(t0.getTime() + HOUR / 2), to: new Date(t0.getTime() + 2 * DAY) };
    const knownRange = `from=${known.from.toISOString()}&to=${known.to.toISOString()}`;
    const at = (offsetMs: number): Date => new Date(t0.getTime() + offsetMs);

    beforeAll(async () => {
      const store = testApp.app.get(MetricsStore);
      const plain: HttpRequestRecord[] = Array.from({ length: 100 }, (_, i) => ({
        recordedAt: at(HOUR + i * 1000),
        method: 'GET',
        route: '/known/plain',
        statusCode: i < 90 ? 200 : i < 95 ? 404 : 500,
        durationMs: i + 1,
        weight: 1,
      }));
      const weighted: HttpRequestRecord[] = [
        { recordedAt: at(HOUR), method: 'POST', route: '/known/weighted', statusCode: 200, durationMs: 10, weight: 10 },
        { recordedAt: at(HOUR), method: 'POST', route: '/known/weighted', statusCode: 201, durationMs: 20, weight: 10 },
        {
          recordedAt: at(HOUR),
          method: 'POST',
          route: '/known/weighted',
          statusCode: 503,
          durationMs: 1000,
          weight: 1,
        },
      ];
      await store.insertHttpRequests([...plain, ...weighted]);
      await store.insertExternalApiCalls([
        { recordedAt: at(HOUR), api: 'known-api', durationMs: 100, statusCode: 200, success: true, cost: '0.5' },
        { recordedAt: at(HOUR), api: 'known-api', durationMs: 300, statusCode: 500, success: false, cost: '0.25' },
        {
          recordedAt: at(25 * HOUR),
          api: 'known-api',
          durationMs: 50,
          statusCode: 200,
          success: true,
          cost: '1.000001',
        },
      ]);
    });

    const plainStats = {
      method: 'GET',
      route: '/known/plain',
      requests: 100,
      errors: 10,
      errorRate: 0.1,
      serverErrors: 5,
      serverErrorRate: 0.05,
      recorded: 100,
      p50Ms: 50,
      p95Ms: 95,
      p99Ms: 99,
    };
    // Weighted: 10 + 10 + 1 = 21 requests; nearest rank over the running weight 10, 20, 21.
    const weightedStats = {
      method: 'POST',
      route: '/known/weighted',
      requests: 21,
      errors: 1,
      errorRate: 0.0476,
      serverErrors: 1,
      serverErrorRate: 0.0476,
      recorded: 3,
      p50Ms: 20,
      p95Ms: 20,
      p99Ms: 1000,
    };

    it('gives counts, error rates and percentiles per route, the slowest routes and the cost per API per day', async () => {
      const summary = await request(baseUrl, `/api/v1/metrics/summary?${knownRange}`, { token: adminToken });
      expect(summary.status).toBe(200);
      expect(summary.body).toEqual({
        from: known.from.toISOString(),
        to: known.to.toISOString(),
        totals: {
          requests: 121,
          errors: 11,
          errorRate: 0.0909,
          serverErrors: 6,
          serverErrorRate: 0.0496,
          recorded: 103,
        },
        routes: [plainStats, weightedStats],
        slowestRoutes: [plainStats, weightedStats],
        apiCostPerDay: [
          {
            day: at(HOUR).toISOString().slice(0, 10),
            api: 'known-api',
            calls: 2,
            failedCalls: 1,
            cost: 0.75,
            avgDurationMs: 200,
          },
          {
            day: at(25 * HOUR)
              .toISOString()
              .slice(0, 10),
            api: 'known-api',
            calls: 1,
            failedCalls: 0,
            cost: 1.000001,
            avgDurationMs: 50,
          },
        ],
      });
    });

    it('exports the same figures, with agent performance, as a JSON attachment', async () => {
      const summary = await request<Record<string, unknown>>(baseUrl, `/api/v1/metrics/summary?${knownRange}`, {
        token: adminToken,
      });
      const exported = await request<Record<string, unknown>>(baseUrl, `/api/v1/metrics/export?${knownRange}`, {
        token: adminToken,
      });
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-disposition')).toBe('attachment; filename="sentinel-metrics.json"');
      expect(exported.headers.get('content-type')).toMatch(/^application\/json/);
      expect(exported.body).toEqual({ ...summary.body, exportedAt: t0.toISOString(), agents: [] });
    });

    it('answers 400 for a bad range, 401 without credentials and 403 without metrics:read', async () => {
      for (const path of ['/api/v1/metrics/summary', '/api/v1/metrics/export']) {
        expectErrorBody(await request(baseUrl, `${path}?from=yesterday`, { token: adminToken }), 400);
        expectErrorBody(
          await request(baseUrl, `${path}?from=${known.to.toISOString()}&to=${known.from.toISOString()}`, {
            token: adminToken,
          }),
          400,
        );
        expectErrorBody(await request(baseUrl, path), 401);
        expectErrorBody(await request(baseUrl, path, { headers: { 'x-api-key': keyWithoutMetrics } }), 403);
      }
    });
  });

  // Last: it moves the clock past the retention period (and back), which ends every session.
  describe('retention', () => {
    it('drops whole partitions older than METRICS_RETENTION_DAYS and keeps the coming ones ready', async () => {
      await testApp.app.get(MetricsRecorder).flush();
      const dataSource = testApp.app.get(DataSource);
      const [{ count }] = await dataSource.query<{ count: string }[]>(
        'SELECT count(*) FROM http_request_metrics WHERE recorded_at = $1',
        [t0],
      );
      expect(Number(count)).toBeGreaterThan(0);

      const leap = 90 * DAY + 62 * DAY;
      clock.advance(leap);
      const dropped = await testApp.app
        .get(PartitionMaintenanceService)
        .upkeep()
        .finally(() => {
          // Back to the present, where the other stores' partitions are, for whatever the app records while closing.
          clock.advance(-leap);
        });
      for (const table of ['http_request_metrics', 'agent_run_metrics', 'external_api_call_metrics']) {
        const old = monthlyPartition(table, t0).name;
        expect(dropped?.get(table)).toContain(old);
        const [gone] = await dataSource.query<{ oid: string | null }[]>('SELECT to_regclass($1) AS oid', [old]);
        expect(gone.oid).toBeNull();
        const [ready] = await dataSource.query<{ oid: string | null }[]>('SELECT to_regclass($1) AS oid', [
          monthlyPartition(table, new Date(t0.getTime() + leap), 1).name,
        ]);
        expect(ready.oid).not.toBeNull();
      }
      const [after] = await dataSource.query<{ count: string }[]>(
        'SELECT count(*) FROM http_request_metrics WHERE recorded_at = $1',
        [t0],
      );
      expect(Number(after.count)).toBe(0);
    });
  });
});

// A second app, created only once the first is closed (passport keeps its strategies per process).
describe('metrics, sample rate 0', () => {
  const slowMs = 5;
  let testApp: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    testApp = await createTestApp(
      // The deliberate 500 would print its stack at level error.
      { METRICS_SAMPLE_RATE: '0', METRICS_SLOW_REQUEST_MS: String(slowMs), LOG_LEVEL: 'critical' },
      { controllers: [FailingController] },
    );
    baseUrl = testApp.baseUrl;
  });
  afterAll(() => testApp.close());

  it('keeps only errors (4xx and 5xx) and slow requests, while Prometheus still counts every request', async () => {
    for (let i = 0; i < 3; i++) expect((await request(baseUrl, '/health/live')).status).toBe(200);
    expectErrorBody(await request(baseUrl, '/api/v1/agents'), 401);
    expectErrorBody(await request(baseUrl, '/api/v1/agents'), 401);
    expectErrorBody(await request(baseUrl, `/api/v1/no-such-thing/${randomUUID()}`), 404);
    expectErrorBody(await request(baseUrl, '/api/v1/test-only-metrics/failure'), 500);
    // A login hashes the password (PBKDF2, 100000 rounds): far slower than the 5 ms threshold.
    const auditor = await createUser(testApp.app, { role: Role.Auditor });
    const token = await tokenFor(baseUrl, auditor);

    const rows = await storedRequests(testApp.app);
    expect(rows.filter((row) => row.status_code < 400 && row.duration_ms < slowMs)).toEqual([]);
    expect(rows.every((row) => row.weight === 1)).toBe(true);
    expect(countOf(rows, 'GET', '/api/v1/agents', 401)).toBe(2);
    expect(countOf(rows, 'GET', 'unmatched', 404)).toBe(1);
    expect(countOf(rows, 'GET', '/api/v1/test-only-metrics/failure', 500)).toBe(1);
    expect(countOf(rows, 'POST', '/api/v1/auth/login', 200)).toBe(1);

    const samples = await scrape(baseUrl, bearer(token));
    const probes = { method: 'GET', route: '/health/live', status: '200' };
    expect(sampleValue(samples, 'http_request_duration_seconds_count', probes)).toBe(3);
  });
});
