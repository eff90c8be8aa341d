import { DataSource } from 'typeorm';
import { AuditTrail } from '../src/audit/audit-trail.service';
import { PartitionMaintenanceService } from '../src/database/partition-maintenance.service';
import { AppLogger } from '../src/observability/logging/app-logger.service';
import { LogStoreWriter } from '../src/observability/logging/log-store-writer.service';
import { createTestApp, type TestApp } from './support/test-app';
import { TestClock } from './support/test-clock';

const DAY_MS = 86_400_000;

/**
 * Month boundaries: a database first created on the 1st must still take the
 * rows of an instance whose clock is a little behind (dated the day before),
 * an import from months back, and a long request that began before midnight.
 */
describe('partitions: no legitimate row is refused for want of a partition', () => {
  const clock = new TestClock(new Date('2027-02-01T00:00:01Z'));
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp(
      { LOG_STORE_LEVEL: 'error', LOG_LEVEL: 'critical', LOG_RETENTION_DAYS: '60' },
      { clock },
    );
  });
  afterAll(() => testApp.close());

  const sql = <T>(text: string, params: unknown[] = []) => testApp.app.get(DataSource).query<T>(text, params);
  const partitionOf = async (table: string, where: string): Promise<string[]> =>
    (
      await sql<{ name: string }[]>(`SELECT DISTINCT tableoid::regclass::text AS name FROM ${table} WHERE ${where}`)
    ).map((row) => row.name);

  it('keeps last month ready at start, so rows dated the day before are stored in it', async () => {
    clock.advance(-2000);
    testApp.app.get(AppLogger).error('written by a clock two seconds behind', 'Boundary');
    await testApp.app.get(AuditTrail).recordSystemAction({ action: 'boundary.behind' });
    clock.advance(2000);
    await testApp.app.get(LogStoreWriter).flush();
    await testApp.app.get(AuditTrail).flush();
    expect(await partitionOf('app_logs', "module = 'Boundary'")).toEqual(['app_logs_p202701']);
    expect(await partitionOf('audit_logs', "action_type = 'boundary.behind'")).toEqual(['audit_logs_p202701']);
  });

  it('takes a row dated two months back (an import), then gives it its own partition', async () => {
    clock.advance(-60 * DAY_MS);
    await testApp.app.get(AuditTrail).recordSystemAction({ action: 'boundary.imported' });
    testApp.app.get(AppLogger).error('an imported entry', 'Imported');
    clock.advance(60 * DAY_MS);
    await testApp.app.get(LogStoreWriter).flush();
    await testApp.app.get(AuditTrail).flush();
    expect(await partitionOf('audit_logs', "action_type = 'boundary.imported'")).toEqual(['audit_logs_default']);
    expect(await partitionOf('app_logs', "module = 'Imported'")).toEqual(['app_logs_default']);
    await testApp.app.get(PartitionMaintenanceService).upkeep();
    expect(await partitionOf('audit_logs', "action_type = 'boundary.imported'")).toEqual(['audit_logs_p202612']);
    expect(await partitionOf('app_logs', "module = 'Imported'")).toEqual(['app_logs_p202612']);
    expect(testApp.app.get(PartitionMaintenanceService).stats.strays.get('audit_logs')).toBe(0);
    expect(testApp.app.get(PartitionMaintenanceService).stats.movedStrays).toBeGreaterThanOrEqual(2);
    // The chain does not care where a row is stored.
    const [{ count }] = await sql<{ count: string }[]>('SELECT count(*) FROM audit_logs');
    expect(Number(count)).toBeGreaterThanOrEqual(2);
  });

  it('lets retention drop whole old partitions and keep the rest, default included', async () => {
    clock.advance(90 * DAY_MS);
    const dropped = await testApp.app.get(PartitionMaintenanceService).upkeep();
    clock.advance(-90 * DAY_MS);
    // On 2027-05-02, 60 days for the log store: December to February are wholly older than 2027-03-03.
    expect(dropped?.get('app_logs')).toEqual(['app_logs_p202612', 'app_logs_p202701', 'app_logs_p202702']);
    const children = (
      await sql<{ name: string }[]>(
        `SELECT child.relname AS name FROM pg_inherits JOIN pg_class child ON child.oid = inhrelid
          WHERE inhparent = 'app_logs'::regclass ORDER BY 1`,
      )
    ).map((row) => row.name);
    expect(children).toEqual([
      'app_logs_default',
      'app_logs_p202703',
      'app_logs_p202704',
      'app_logs_p202705',
      'app_logs_p202706',
    ]);
    const [{ oid }] = await sql<{ oid: string | null }[]>("SELECT to_regclass('app_logs_default') AS oid");
    expect(oid).not.toBeNull();
    expect(await partitionOf('app_logs', 'true')).not.toContain('app_logs_p202701');
    // Audit keeps seven years: nothing of it went.
    expect(dropped?.get('audit_logs')).toEqual([]);
  });
});
