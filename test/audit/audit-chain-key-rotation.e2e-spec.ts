import { DataSource } from 'typeorm';
import { AuditTrail } from '../../src/audit/audit-trail.service';
import { PartitionMaintenanceService } from '../../src/database/partition-maintenance.service';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { TestClock } from '../support/test-clock';
import { createUser, tokenFor, type TestUser } from '../support/users';

const OLD = 'old-audit-chain-key-c1-0123456789abcdef0123';
const NEW = 'new-audit-chain-key-c2-0123456789abcdef0123';
const DAY_MS = 86_400_000;

interface Verification {
  valid: boolean;
  checked: number;
  firstBrokenId?: string;
  problem?: string;
  keyId?: string;
}

// One app at a time on one database, restarted with each AUDIT_CHAIN_KEY an operator would set.
describe('audit: rotating AUDIT_CHAIN_KEY', () => {
  const clock = new TestClock(new Date('2026-01-15T12:00:00Z'));
  let database: { url: string; drop: () => Promise<void> };
  let auditor: TestUser | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  function theAuditor(): TestUser {
    if (!auditor) throw new Error('the first app creates the auditor');
    return auditor;
  }

  async function withApp(chainKey: string, fn: (testApp: TestApp, sql: DataSource) => Promise<void>): Promise<void> {
    const testApp = await createTestApp(
      { AUDIT_CHAIN_KEY: chainKey, SECURITY_AUDIT_RETENTION_DAYS: '30' },
      { databaseUrl: database.url, clock },
    );
    try {
      auditor ??= await createUser(testApp.app, { role: Role.Auditor });
      await fn(testApp, testApp.app.get(DataSource));
    } finally {
      await testApp.close();
    }
  }

  async function someHistory(testApp: TestApp): Promise<void> {
    const token = await tokenFor(testApp.baseUrl, theAuditor());
    for (let i = 0; i < 3; i++) await request(testApp.baseUrl, '/api/v1/auth/me', { token });
    await testApp.app.get(AuditTrail).flush();
  }

  async function verify(testApp: TestApp, query = ''): Promise<Verification> {
    const token = await tokenFor(testApp.baseUrl, theAuditor());
    await testApp.app.get(AuditTrail).flush();
    const result = await request<Verification>(testApp.baseUrl, `/api/v1/audit-logs/verify${query}`, { token });
    expect(result.status).toBe(200);
    return result.body;
  }

  async function keyIds(sql: DataSource) {
    const ids = async (query: string) => (await sql.query<{ id: string }[]>(query)).map((row) => row.id);
    return {
      rows: await ids('SELECT DISTINCT chain_key_id AS id FROM audit_logs ORDER BY 1'),
      head: await ids('SELECT key_id AS id FROM audit_chain_head'),
      checkpoints: await ids('SELECT key_id AS id FROM audit_chain_checkpoints ORDER BY id'),
    };
  }

  it('chains under c1, with retention checkpoints and the head signed by c1', async () => {
    await withApp(`c1:${OLD}`, async (testApp, sql) => {
      await someHistory(testApp);
      clock.advance(90 * DAY_MS);
      const dropped = await testApp.app.get(PartitionMaintenanceService).upkeep();
      expect(dropped?.get('audit_logs')?.length).toBeGreaterThan(0);
      await someHistory(testApp);
      expect(await verify(testApp)).toEqual(expect.objectContaining({ valid: true }));
      expect(await keyIds(sql)).toEqual({ rows: ['c1'], head: ['c1'], checkpoints: ['c1'] });
    });
  });

  it('after a restart with c2:new,c1:old, chains new rows under c2 and verifies rows, head and checkpoints of both', async () => {
    await withApp(`c2:${NEW},c1:${OLD}`, async (testApp, sql) => {
      await someHistory(testApp);
      // The newest checkpoint is still c1's; the head is now signed by c2.
      expect(await verify(testApp)).toEqual(expect.objectContaining({ valid: true }));
      expect(await keyIds(sql)).toEqual({ rows: ['c1', 'c2'], head: ['c2'], checkpoints: ['c1'] });
      const token = await tokenFor(testApp.baseUrl, theAuditor());
      const head = await request<{ keyId: string; signature: string }>(testApp.baseUrl, '/api/v1/audit-logs/head', {
        token,
      });
      expect(head.status).toBe(200);
      expect(head.body.keyId).toBe('c2');

      // Retention again, later: its checkpoint is signed by c2 and the kept chain still starts with c1 rows.
      clock.advance(35 * DAY_MS);
      await testApp.app.get(PartitionMaintenanceService).upkeep();
      await someHistory(testApp);
      expect(await verify(testApp)).toEqual(expect.objectContaining({ valid: true }));
      expect(await keyIds(sql)).toEqual({ rows: ['c1', 'c2'], head: ['c2'], checkpoints: ['c1', 'c2'] });

      // The key id is covered by the link: relabelling a row, either way, is caught.
      await testApp.app.get(AuditTrail).flush();
      const [c1Row] = await sql.query<{ id: string }[]>(
        `SELECT id FROM audit_logs WHERE chain_key_id = 'c1' ORDER BY id LIMIT 1`,
      );
      const [c2Row] = await sql.query<{ id: string }[]>(
        `SELECT id FROM audit_logs WHERE chain_key_id = 'c2' ORDER BY id LIMIT 1`,
      );
      await sql.query(`UPDATE audit_logs SET chain_key_id = 'c2' WHERE id = $1`, [c1Row.id]);
      expect(await verify(testApp, `?from=${c1Row.id}&to=${c1Row.id}`)).toEqual(
        expect.objectContaining({ valid: false, problem: 'content', firstBrokenId: c1Row.id }),
      );
      await sql.query(`UPDATE audit_logs SET chain_key_id = 'c1' WHERE id = $1`, [c1Row.id]);
      await sql.query(`UPDATE audit_logs SET chain_key_id = 'c1' WHERE id = $1`, [c2Row.id]);
      expect(await verify(testApp, `?from=${c2Row.id}&to=${c2Row.id}`)).toEqual(
        expect.objectContaining({ valid: false, problem: 'content', firstBrokenId: c2Row.id }),
      );
      await sql.query(`UPDATE audit_logs SET chain_key_id = 'c2' WHERE id = $1`, [c2Row.id]);
      expect(await verify(testApp)).toEqual(expect.objectContaining({ valid: true }));
    });
  });

  it('with only c2, reports the c1 rows as chained under an unknown key, and keeps chaining and signing under c2', async () => {
    await withApp(`c2:${NEW}`, async (testApp, sql) => {
      await someHistory(testApp);
      const [firstC1] = await sql.query<{ id: string }[]>(
        `SELECT id FROM audit_logs WHERE chain_key_id = 'c1' ORDER BY id LIMIT 1`,
      );
      expect(await verify(testApp)).toEqual({
        valid: false,
        checked: 0,
        firstBrokenId: firstC1.id,
        problem: 'key',
        keyId: 'c1',
      });
      const [firstC2] = await sql.query<{ id: string }[]>(
        `SELECT id FROM audit_logs WHERE chain_key_id = 'c2' ORDER BY id LIMIT 1`,
      );
      expect(await verify(testApp, `?from=${firstC2.id}`)).toEqual(expect.objectContaining({ valid: true }));
      const token = await tokenFor(testApp.baseUrl, theAuditor());
      const head = await request<{ keyId: string }>(testApp.baseUrl, '/api/v1/audit-logs/head', { token });
      expect(head.status).toBe(200);
      expect(head.body.keyId).toBe('c2');
    });
  });

  it('with c3 only, a head signed by an unlisted key is a 409 with the uniform body, not a 500', async () => {
    await withApp(`c3:${'x'.repeat(40)}`, async (testApp) => {
      const token = await tokenFor(testApp.baseUrl, theAuditor());
      expectErrorBody(
        await request(testApp.baseUrl, '/api/v1/audit-logs/head', { token }),
        409,
        'AUDIT_CHAIN_KEY_UNKNOWN',
      );
      expect(await verify(testApp)).toEqual(expect.objectContaining({ valid: false, problem: 'key' }));
    });
  });
});
