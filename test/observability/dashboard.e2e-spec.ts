/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get } from '@nestjs/common';
import serverlessChromium from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';
import { Public } from '../../src/common/decorators/public.decorator';
import { LogStoreWriter } from '../../src/observability/logging/log-store-writer.service';
import { MetricsWriter } from '../../src/observability/metrics/store/metrics-writer.service';
import { Role } from '../../src/rbac/role';
import { request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor, type TestUser } from '../support/users';

/** Flags of the packaged headless shell that would hide what a real browser enforces (CSP, mixed content). */
const LAX_FLAGS = new Set(['--disable-web-security', '--allow-running-insecure-content']);
const SCREENSHOT = join(__dirname, '..', '..', 'artifacts', 'dashboard.png');

/** A route that fails, so the dashboard has an error and a logged error to show. */
@Public()
@Controller('test-only-dashboard')
class FailingController {
  @Get('boom')
  boom(): never {
    throw new Error('dashboard test failure');
  }
}

describe('dashboard in a real browser', () => {
  let testApp: TestApp;
  let browser: Browser;
  let admin: TestUser;

  beforeAll(async () => {
    testApp = await createTestApp(
      { METRICS_SAMPLE_RATE: '1', LOG_STORE_LEVEL: 'warning' },
      { controllers: [FailingController] },
    );
    admin = await createUser(testApp.app, { role: Role.Admin });
    await makeHistory(testApp.baseUrl, await tokenFor(testApp.baseUrl, admin));
    await testApp.app.get(MetricsWriter).flush();
    await testApp.app.get(LogStoreWriter).flush();
    // A Chromium shipped inside an npm package (@sparticuz/chromium, with its own libraries), unpacked on
    // first use: `npm install` is all the test needs, no system browser.
    browser = await chromium.launch({
      executablePath: await serverlessChromium.executablePath(),
      args: [
        ...serverlessChromium.args.filter((flag) => !LAX_FLAGS.has(flag)),
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser.close();
    await testApp.close();
  });

  it('logs in, draws figures from the requests made, and saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${testApp.baseUrl}/dashboard`);
    await page.fill('input[name=username]', admin.username);
    await page.fill('input[name=password]', admin.password);
    await page.click('button[type=submit]');

    await page.waitForSelector('#agents tbody tr');
    expect(await page.isHidden('#login')).toBe(true);
    await page.waitForFunction(() => document.querySelector('#status')?.textContent.startsWith('Updated'));
    const figures = await page.evaluate(() => {
      const total = (id: string, dataset = 0) =>
        (Chart.getChart(id)?.data.datasets[dataset]?.data as (number | null)[]).reduce<number>(
          (sum, value) => sum + (value ?? 0),
          0,
        );
      return {
        requests: total('rate-chart'),
        errorPercent: total('error-chart'),
        p95: total('latency-chart', 1),
        cost: total('cost-chart'),
        agents: [...document.querySelectorAll('#agents tbody tr td:first-child')].map((cell) => cell.textContent),
        logs: [...document.querySelectorAll('#logs li')].map((item) => item.textContent),
      };
    });
    expect(figures.requests).toBeGreaterThanOrEqual(25);
    expect(figures.errorPercent).toBeGreaterThan(0);
    expect(figures.p95).toBeGreaterThan(0);
    expect(figures.cost).toBeCloseTo(0.05, 5);
    expect(figures.agents).toEqual(['scanner-fast', 'scanner-slow']);
    expect(figures.logs.some((line) => line.includes('dashboard test failure'))).toBe(true);
    await page.waitForSelector('#blocks tbody tr');
    const security = await page.evaluate(() => ({
      open: document.querySelector('#open-events')?.textContent,
      blocks: [...document.querySelectorAll('#blocks tbody tr')].map((row) => row.textContent),
    }));
    expect(security.open).toContain('high 1');
    expect(security.blocks).toEqual([
      expect.stringMatching(/^192\.0\.2\.99\/32dashboard test1(2 h 0 min|1 h 59 min)$/),
    ]);
    expect(pageErrors).toEqual([]);

    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});

describe('request time series', () => {
  it('fills every bucket of the range and refuses more than 2000 of them', async () => {
    const testApp = await createTestApp({ METRICS_SAMPLE_RATE: '1' });
    try {
      const admin = await createUser(testApp.app, { role: Role.Admin });
      const token = await tokenFor(testApp.baseUrl, admin);
      for (let i = 0; i < 7; i++) await request(testApp.baseUrl, '/api/v1/agents', { token });
      await testApp.app.get(MetricsWriter).flush();
      // Minute-aligned bounds: exactly ten whole buckets (unaligned ends would add partial ones).
      const to = new Date(Math.ceil((Date.now() + 1) / 60_000) * 60_000);
      const from = new Date(to.getTime() - 10 * 60_000);
      const series = await request<{ buckets: { requests: number; p95Ms: number | null }[] }>(
        testApp.baseUrl,
        `/api/v1/metrics/timeseries?from=${from.toISOString()}&to=${to.toISOString()}&bucketSeconds=60`,
        { token },
      );
      expect(series.status).toBe(200);
      expect(series.body.buckets).toHaveLength(10);
      expect(series.body.buckets.reduce((sum, bucket) => sum + bucket.requests, 0)).toBeGreaterThanOrEqual(8);
      expect(series.body.buckets.some((bucket) => bucket.requests === 0 && bucket.p95Ms === null)).toBe(true);
      const tooFine = await request(testApp.baseUrl, `/api/v1/metrics/timeseries?bucketSeconds=10`, { token });
      expect(tooFine.status).toBe(400);
    } finally {
      await testApp.close();
    }
  });
});

declare const Chart: { getChart(id: string): { data: { datasets: { data: unknown[] }[] } } | undefined };

/** Requests, two agents with runs, paid calls and a failure: something real for every panel. */
async function makeHistory(baseUrl: string, token: string): Promise<void> {
  const api = (path: string, json?: unknown) =>
    request<{ id: string }>(baseUrl, `/api/v1${path}`, { method: json ? 'POST' : 'GET', token, json });
  for (const [name, durations] of [
    ['scanner-fast', [1_000, 1_200, 900]],
    ['scanner-slow', [40_000, 45_000, 50_000]],
  ] as const) {
    const agent = await api('/agents', { name });
    for (const [index, durationMs] of durations.entries()) {
      await api(`/agents/${agent.body.id}/runs`, {
        startedAt: new Date().toISOString(),
        durationMs,
        findings: index,
        success: name === 'scanner-fast' || index > 0,
      });
    }
  }
  for (let i = 0; i < 5; i++)
    await api('/metrics/api-calls', { api: 'openai', durationMs: 120, status: 200, cost: 0.01 });
  for (let i = 0; i < 10; i++) await api('/agents');
  await request(baseUrl, '/api/v1/test-only-dashboard/boom');
  // The security panel's figures: an open event and a block with time left.
  await api('/security/events', { eventType: 'backup.failed', severity: 'high' });
  await api('/security/blocks', { target: '192.0.2.99', durationSeconds: 7200, reason: 'dashboard test' });
}
