import { DataSource } from 'typeorm';
import { AuditTrail } from '../../src/audit/audit-trail.service';
import { PartitionMaintenanceService } from '../../src/database/partition-maintenance.service';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, tokenFor } from '../support/users';
import { auditRows } from './audit-support';

interface Verification {
  valid: boolean;
  checked: number;
  firstBrokenId?: string;
  problem?: string;
}

interface AuditPage {
  items: { id: string; actionType: string; traceId: string | null; success: boolean; allowed: boolean | null }[];
  nextCursor: string | null;
}

/** An app of its own with an auditor's token and a few recorded requests; closed by the caller. */
async function appWithHistory(env: Record<string, string> = {}, clock?: TestClock) {
  const testApp = await createTestApp(env, { clock });
  const auditor = await createUser(testApp.app, { role: Role.Auditor });
  const admin = await createUser(testApp.app, { role: Role.Admin });
  const adminToken = await tokenFor(testApp.baseUrl, admin);
  for (let i = 0; i < 5; i++) {
    await request(testApp.baseUrl, '/api/v1/agents', {
      method: 'POST',
      token: adminToken,
      json: { name: `agent-${i}` },
    });
  }
  await testApp.app.get(AuditTrail).flush();
  // A fresh login per check by default: tests move the clock far enough for any session to idle out.
  const verify = async (query = '', token?: string): Promise<Verification> => {
    const bearer = token ?? (await tokenFor(testApp.baseUrl, auditor));
    return (await request<Verification>(testApp.baseUrl, `/api/v1/audit-logs/verify${query}`, { token: bearer })).body;
  };
  return { testApp, auditor, adminToken, verify, sql: testApp.app.get(DataSource) };
}

// One app per test: passport's strategies are per process, so apps must not overlap in a file.
describe('audit: tamper evidence', () => {
  it('verifies an untouched chain', async () => {
    const { testApp, verify } = await appWithHistory();
    try {
      const result = await verify();
      expect(result.valid).toBe(true);
      expect(result.checked).toBeGreaterThanOrEqual(7);
    } finally {
      await testApp.close();
    }
  });

  it('names a row changed with UPDATE', async () => {
    const { testApp, verify, sql } = await appWithHistory();
    try {
      const [target] = await sql.query<{ id: string }[]>(
        "SELECT id FROM audit_logs WHERE action_type = 'agents.create' ORDER BY id LIMIT 1 OFFSET 2",
      );
      await sql.query(`UPDATE audit_logs SET response_status = 500 WHERE id = $1`, [target.id]);
      expect(await verify()).toEqual(
        expect.objectContaining({ valid: false, firstBrokenId: target.id, problem: 'content' }),
      );
    } finally {
      await testApp.close();
    }
  });

  it('names the row after one removed with DELETE', async () => {
    const { testApp, verify, sql } = await appWithHistory();
    try {
      const rows = await sql.query<{ id: string }[]>('SELECT id FROM audit_logs ORDER BY id LIMIT 4');
      await sql.query('DELETE FROM audit_logs WHERE id = $1', [rows[2].id]);
      expect(await verify()).toEqual(
        expect.objectContaining({ valid: false, firstBrokenId: rows[3].id, problem: 'link' }),
      );
    } finally {
      await testApp.close();
    }
  });

  it('notices the newest rows removed with DELETE', async () => {
    const { testApp, verify, sql, auditor } = await appWithHistory();
    try {
      // Log in first: a login after the deletion would append a row linking to the deleted one.
      const token = await tokenFor(testApp.baseUrl, auditor);
      await testApp.app.get(AuditTrail).flush();
      const [newest] = await sql.query<{ id: string }[]>('SELECT id FROM audit_logs ORDER BY id DESC LIMIT 1');
      await sql.query('DELETE FROM audit_logs WHERE id = $1', [newest.id]);
      expect(await verify('', token)).toEqual({
        valid: false,
        checked: expect.any(Number),
        firstBrokenId: newest.id,
        problem: 'tail',
      });
    } finally {
      await testApp.close();
    }
  });

  it('names a row added with INSERT, even one that links to the real chain', async () => {
    const { testApp, verify, sql } = await appWithHistory();
    try {
      // A forger with database access but without the key: the link is right, the HMAC cannot be.
      const [forged] = await sql.query<{ id: string }[]>(
        `INSERT INTO audit_logs (id, created_at, action_type, success, prev_hash, hash)
         SELECT nextval('audit_logs_id_seq'), now(), 'users.delete', true, last.hash, encode(sha256(last.hash::bytea), 'hex')
           FROM (SELECT hash FROM audit_logs ORDER BY id DESC LIMIT 1) AS last
         RETURNING id`,
      );
      expect(await verify()).toEqual(
        expect.objectContaining({ valid: false, firstBrokenId: forged.id, problem: 'content' }),
      );
    } finally {
      await testApp.close();
    }
  });

  it('notices the newest 5 rows deleted and the head repointed, then the oldest 10 deleted too', async () => {
    const { testApp, verify, sql, auditor } = await appWithHistory();
    try {
      const token = await tokenFor(testApp.baseUrl, auditor);
      for (let i = 0; i < 10; i++) await request(testApp.baseUrl, '/api/v1/auth/me', { token });
      await testApp.app.get(AuditTrail).flush();
      const before = await sql.query<{ id: string; hash: string }[]>('SELECT id, hash FROM audit_logs ORDER BY id');
      expect(before.length).toBeGreaterThan(15);
      await sql.query('DELETE FROM audit_logs WHERE id = ANY($1::bigint[])', [before.slice(-5).map((row) => row.id)]);
      const kept = before[before.length - 6];
      // A forger with database access but not the key repoints the head and recounts it.
      await sql.query('UPDATE audit_chain_head SET last_id = $1, last_hash = $2, row_count = $3', [
        kept.id,
        kept.hash,
        before.length - 5,
      ]);
      expect(await verify('', token)).toEqual(
        expect.objectContaining({ valid: false, problem: 'head', firstBrokenId: kept.id }),
      );
      // Nor does the chainer launder the forged head by appending to it and signing anew.
      await testApp.app.get(AuditTrail).flush();
      expect(await verify('', token)).toEqual(expect.objectContaining({ valid: false, problem: 'head' }));

      await sql.query('DELETE FROM audit_logs WHERE id = ANY($1::bigint[])', [
        before.slice(0, 10).map((row) => row.id),
      ]);
      expect(await verify('', token)).toEqual(
        expect.objectContaining({ valid: false, problem: 'start', firstBrokenId: before[10].id }),
      );
    } finally {
      await testApp.close();
    }
  });

  it('notices a head rewound to an older, genuinely signed state, given a head exported earlier as an anchor', async () => {
    const { testApp, verify, sql, auditor } = await appWithHistory();
    try {
      const token = await tokenFor(testApp.baseUrl, auditor);
      await testApp.app.get(AuditTrail).flush();
      const oldHead = await sql.query<Record<string, unknown>[]>('SELECT * FROM audit_chain_head');
      // More history, then the anchor an operator exports (GET /audit-logs/head, kept outside the database).
      for (let i = 0; i < 3; i++) await request(testApp.baseUrl, '/api/v1/auth/me', { token });
      await testApp.app.get(AuditTrail).flush();
      const exported = await request<{
        lastId: string;
        lastHash: string;
        rowCount: string;
        keyId: string;
        signature: string;
      }>(testApp.baseUrl, '/api/v1/audit-logs/head', { token });
      expect(exported.status).toBe(200);
      expect(exported.body).toEqual({
        lastId: expect.stringMatching(/^\d+$/),
        lastHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        rowCount: expect.stringMatching(/^\d+$/),
        // A single AUDIT_CHAIN_KEY has the implicit id.
        keyId: 'c0',
        signature: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const anchor = `?anchorId=${exported.body.lastId}&anchorHash=${exported.body.lastHash}`;
      expect(await verify(anchor, token)).toEqual(expect.objectContaining({ valid: true }));
      await testApp.app.get(AuditTrail).flush();

      // The forger deletes everything after the old head and puts the old (validly signed) head back.
      const [old] = oldHead as { last_id: string }[];
      await sql.query('DELETE FROM audit_logs WHERE id > $1', [old.last_id]);
      await sql.query('DELETE FROM audit_chain_head');
      const columns = Object.keys(oldHead[0]);
      await sql.query(
        `INSERT INTO audit_chain_head (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        columns.map((column) => oldHead[0][column]),
      );
      // The chain alone looks whole again; the anchor kept outside the database does not.
      expect(await verify('', token)).toEqual(expect.objectContaining({ valid: true }));
      expect(await verify(anchor, token)).toEqual(
        expect.objectContaining({ valid: false, problem: 'anchor', firstBrokenId: exported.body.lastId }),
      );
    } finally {
      await testApp.close();
    }
  });

  it('checks a range of ids only when asked to', async () => {
    const { testApp, verify, sql } = await appWithHistory();
    try {
      const rows = await sql.query<{ id: string }[]>('SELECT id FROM audit_logs ORDER BY id');
      await sql.query(`UPDATE audit_logs SET username = 'mallory' WHERE id = $1`, [rows[rows.length - 2].id]);
      expect(await verify(`?from=${rows[0].id}&to=${rows[2].id}`)).toEqual({ valid: true, checked: 3 });
      expect((await verify(`?from=${rows[1].id}`)).valid).toBe(false);
    } finally {
      await testApp.close();
    }
  });
});

describe('audit: retention', () => {
  it('drops whole partitions past SECURITY_AUDIT_RETENTION_DAYS and keeps the chain verifiable', async () => {
    const clock = new TestClock(new Date('2026-01-15T12:00:00Z'));
    const history = await appWithHistory({ SECURITY_AUDIT_RETENTION_DAYS: '30' }, clock);
    const { testApp, verify, sql } = history;
    try {
      const partitions = async (): Promise<string[]> =>
        (
          await sql.query<{ name: string }[]>(
            `SELECT child.relname AS name FROM pg_inherits JOIN pg_class child ON child.oid = inhrelid
              WHERE inhparent = 'audit_logs'::regclass ORDER BY 1`,
          )
        ).map((row) => row.name);
      expect(await partitions()).toEqual([
        'audit_logs_default',
        'audit_logs_p202512',
        'audit_logs_p202601',
        'audit_logs_p202602',
      ]);
      expect((await auditRows(testApp.app)).length).toBeGreaterThan(5);

      clock.advance(90 * 86_400_000);
      const dropped = await testApp.app.get(PartitionMaintenanceService).upkeep();
      expect(dropped?.get('audit_logs')).toEqual(['audit_logs_p202512', 'audit_logs_p202601', 'audit_logs_p202602']);
      expect(await partitions()).toEqual([
        'audit_logs_default',
        'audit_logs_p202603',
        'audit_logs_p202604',
        'audit_logs_p202605',
      ]);
      const remaining = await auditRows(testApp.app);
      expect(remaining.map((row) => [row.action_type, row.username])).toEqual([['audit.retention.dropped', 'system']]);
      expect(await verify()).toEqual(expect.objectContaining({ valid: true }));

      // Retention's signed checkpoint says where the kept chain starts: deleting the oldest kept row is caught.
      await verify();
      const [oldest] = await sql.query<{ id: string }[]>('SELECT id FROM audit_logs ORDER BY id LIMIT 1');
      const token = await tokenFor(testApp.baseUrl, history.auditor);
      await testApp.app.get(AuditTrail).flush();
      await sql.query('DELETE FROM audit_logs WHERE id = $1', [oldest.id]);
      expect(await verify('', token)).toEqual(expect.objectContaining({ valid: false, problem: 'start' }));
    } finally {
      await testApp.close();
    }
  });
});

describe('audit: reading', () => {
  let testApp: TestApp;
  let token: string;

  beforeAll(async () => {
    const history = await appWithHistory();
    testApp = history.testApp;
    token = await tokenFor(testApp.baseUrl, history.auditor);
    const audit = testApp.app.get(AuditTrail);
    // 2500 more rows, more than one export batch, written together (group commit).
    await Promise.all(
      Array.from({ length: 2500 }, (_, i) =>
        audit.recordSystemAction({
          action: 'bulk.test',
          resourceType: 'thing',
          resourceId: String(i),
          success: i % 10 !== 0,
        }),
      ),
    );
    await testApp.app.get(AuditTrail).flush();
  });
  afterAll(() => testApp.close());

  const get = <T>(path: string) => request<T>(testApp.baseUrl, path, { token });

  it('filters, newest first, and pages with a cursor that is stable under new inserts', async () => {
    const first = await get<AuditPage>('/api/v1/audit-logs?action=bulk.test&limit=100');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(100);
    const ids = first.body.items.map((item) => BigInt(item.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : 1)));
    await testApp.app.get(AuditTrail).recordSystemAction({ action: 'bulk.test', resourceId: 'late' });
    await testApp.app.get(AuditTrail).flush();
    const second = await get<AuditPage>(
      `/api/v1/audit-logs?action=bulk.test&limit=100&cursor=${first.body.nextCursor}`,
    );
    expect(BigInt(second.body.items[0].id)).toBeLessThan(ids[ids.length - 1]);
    const seen = new Set([...first.body.items, ...second.body.items].map((item) => item.id));
    expect(seen.size).toBe(200);

    const failures = await get<AuditPage>('/api/v1/audit-logs?action=bulk.test&success=false&limit=500');
    expect(failures.body.items).toHaveLength(250);
    expect(failures.body.items.every((item) => !item.success)).toBe(true);
    const byResource = await get<AuditPage>('/api/v1/audit-logs?resourceType=thing&resourceId=42');
    expect(byResource.body.items).toHaveLength(1);
  });

  it('finds a request by its trace id and the requests refused by a guard', async () => {
    await request(testApp.baseUrl, '/api/v1/users', { headers: { 'x-request-id': 'find-me' } });
    await testApp.app.get(AuditTrail).flush();
    const found = await get<AuditPage>('/api/v1/audit-logs?traceId=find-me');
    expect(found.body.items).toEqual([expect.objectContaining({ traceId: 'find-me', allowed: false })]);
    const refused = await get<AuditPage>('/api/v1/audit-logs?allowed=false&limit=500');
    expect(refused.body.items.length).toBeGreaterThan(0);
    expect(refused.body.items.every((item) => item.allowed === false)).toBe(true);
  });

  it('streams an export of every matching row as NDJSON and CSV', async () => {
    const ndjson = await get<string>('/api/v1/audit-logs/export?format=ndjson&action=bulk.test');
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = ndjson.body.trim().split('\n');
    expect(lines).toHaveLength(2501);
    expect((JSON.parse(lines[0]) as { actionType: string }).actionType).toBe('bulk.test');

    const csv = await get<string>('/api/v1/audit-logs/export?format=csv&action=bulk.test&success=false');
    expect(csv.headers.get('content-disposition')).toContain('audit-logs.csv');
    const rows = csv.body.trim().split('\n');
    expect(rows[0].split(',')[0]).toBe('id');
    expect(rows).toHaveLength(251);
  });

  it('summarises per day and action with success rate and execution times', async () => {
    const summary =
      await get<{ actionType: string; total: number; succeeded: number; failed: number; successRate: number }[]>(
        '/api/v1/audit-logs/summary',
      );
    const bulk = summary.body.find((row) => row.actionType === 'bulk.test');
    expect(bulk).toEqual(expect.objectContaining({ total: 2501, failed: 250, succeeded: 2251 }));
    expect(bulk?.successRate).toBeCloseTo(2251 / 2501, 5);
    const creates = summary.body.find((row) => row.actionType === 'agents.create');
    expect(creates).toEqual(
      expect.objectContaining({
        total: 5,
        avgExecutionTimeMs: expect.any(Number),
        p95ExecutionTimeMs: expect.any(Number),
      }),
    );
  });

  it('refuses bad filters with 400', async () => {
    expectErrorBody(await get('/api/v1/audit-logs?limit=0'), 400);
    expectErrorBody(await get('/api/v1/audit-logs?cursor=abc'), 400);
    expectErrorBody(await get('/api/v1/audit-logs?ip=not-an-ip'), 400);
    expectErrorBody(await get('/api/v1/audit-logs?from=yesterday'), 400);
    expectErrorBody(await get('/api/v1/audit-logs/export?format=xml'), 400);
  });

  it.each(['', '/export', '/summary', '/verify'])('GET /audit-logs%s needs audit:read', async (suffix) => {
    expectErrorBody(await request(testApp.baseUrl, `/api/v1/audit-logs${suffix}`), 401);
    const operator = await createUser(testApp.app, { role: Role.Operator });
    expectErrorBody(
      await request(testApp.baseUrl, `/api/v1/audit-logs${suffix}`, {
        token: await tokenFor(testApp.baseUrl, operator),
      }),
      403,
    );
  });
});
