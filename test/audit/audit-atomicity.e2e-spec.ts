import { randomUUID } from 'node:crypto';
import { Controller, HttpCode, Injectable, Post } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { DataSource } from 'typeorm';
import { AuditTrail } from '../../src/audit/audit-trail.service';
import { AUDITED_TRANSACTION } from '../../src/audit/audited-transaction.routes';
import { Audit, COMPUTES_ONLY } from '../../src/audit/decorators/audit.decorator';
import { Public } from '../../src/common/decorators/public.decorator';
import { domainEvent } from '../../src/common/events/domain-event';
import { DomainEvents } from '../../src/common/events/domain-events.service';
import { OnDomainEvent } from '../../src/common/events/on-domain-event.decorator';
import { type CatalogRoute, RouteCatalog } from '../../src/common/routing/route-catalog.service';
import { Transactions } from '../../src/database/transactions/transactions.service';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { waitUntil } from '../support/wait';
import { createUser, tokenFor } from '../support/users';
import { auditRows, cutDatabase } from './audit-support';

class ProbeHappened extends domainEvent('test.probe.happened') {
  constructor(readonly outcome: string) {
    super();
  }

  override audit() {
    return { resourceType: 'probe', details: { outcome: this.outcome } };
  }
}

/** Hears probe events the way any module's listener would: after commit, off the request path. */
@Injectable()
class ProbeListener {
  readonly heard: string[] = [];

  @OnDomainEvent(ProbeHappened)
  onProbe(event: ProbeHappened): void {
    this.heard.push(event.outcome);
  }
}

/** Raises an event inside the request's transaction and then succeeds, fails, or fails keeping its writes. */
@Public()
@Controller('test-only-events')
class ProbeController {
  constructor(
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  @Post('commit')
  @Audit('test.events.commit')
  @HttpCode(200)
  commit(): { ok: true } {
    this.events.publish(new ProbeHappened('committed'));
    return { ok: true };
  }

  @Post('rollback')
  @Audit('test.events.rollback')
  rollback(): never {
    this.events.publish(new ProbeHappened('rolled-back'));
    throw new Error('deliberate failure after an event');
  }

  @Post('kept-failure')
  @Audit('test.events.kept-failure')
  async keptFailure(): Promise<never> {
    await this.transactions.query("SELECT 'a statement' AS begins");
    this.transactions.commitOnFailure();
    this.events.publish(new ProbeHappened('kept'));
    throw new Error('deliberate failure that keeps its writes');
  }
}

describe('audit: a change and its record commit together', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    testApp = await createTestApp({}, { controllers: [ProbeController], providers: [ProbeListener] });
    baseUrl = testApp.baseUrl;
    token = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
  });
  afterAll(() => testApp.close());

  const sql = <T>(text: string, params: unknown[] = []) => testApp.app.get(DataSource).query<T>(text, params);

  it('delivers an event after its transaction commits, never after a rollback, and records it with the change', async () => {
    const listener = testApp.app.get(ProbeListener);
    expect((await request(baseUrl, '/api/v1/test-only-events/commit', { method: 'POST', json: {} })).status).toBe(200);
    expectErrorBody(await request(baseUrl, '/api/v1/test-only-events/rollback', { method: 'POST', json: {} }), 500);
    expectErrorBody(await request(baseUrl, '/api/v1/test-only-events/kept-failure', { method: 'POST', json: {} }), 500);
    await testApp.app.get(AuditTrail).flush();
    expect(listener.heard.sort()).toEqual(['committed', 'kept']);
    const eventRows = await auditRows(testApp.app, "action_type = 'test.probe.happened'");
    expect(eventRows.map((row) => (row.action_details as { outcome: string }).outcome).sort()).toEqual([
      'committed',
      'kept',
    ]);
    // The rolled-back request still has its own row: a failure that changed nothing.
    const [failed] = await auditRows(testApp.app, "action_type = 'test.events.rollback'");
    expect(failed).toEqual(expect.objectContaining({ response_status: 500, success: false }));
  });

  it('leaves no change without its audit row and no 2xx without one when the database goes away under writes', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `cut-${i}-${randomUUID()}`);
    let restore: (() => Promise<void>) | undefined;
    const writes = names.map(async (name, i) => {
      if (i === 20) restore = await cutDatabase(testApp.databaseUrl);
      if (i === 40) await restore?.();
      return request<{ id?: string }>(baseUrl, '/api/v1/agents', { method: 'POST', token, json: { name } });
    });
    const results = await Promise.all(writes);
    await restore?.();
    // Every answer is either the change or a uniform 503, never a 401 or a 500.
    for (const result of results) {
      if (result.status !== 201) expectErrorBody(result, 503);
    }
    expect(results.filter((result) => result.status === 503).length).toBeGreaterThan(0);
    await waitUntil(async () => (await request(baseUrl, '/health/ready')).status === 200);
    await testApp.app.get(AuditTrail).flush();

    // Counted in the database itself.
    const [{ unrecorded }] = await sql<{ unrecorded: number }[]>(
      `SELECT count(*)::int AS unrecorded FROM agents a
        WHERE a.name LIKE 'cut-%' AND NOT EXISTS (
          SELECT 1 FROM audit_logs l WHERE l.action_type = 'agents.create' AND l.resource_id = a.id::text AND l.success)`,
    );
    expect(unrecorded).toBe(0);
    const answered = results.filter((result) => result.status === 201).map((result) => result.body.id);
    const [{ recorded }] = await sql<{ recorded: number }[]>(
      `SELECT count(DISTINCT resource_id)::int AS recorded FROM audit_logs
        WHERE action_type = 'agents.create' AND success AND resource_id = ANY($1::text[])`,
      [answered],
    );
    expect(recorded).toBe(answered.length);
    // And every agent that exists was answered 2xx or was committed with an ambiguous answer: none exists unrecorded.
    const [{ created }] = await sql<{ created: number }[]>(
      "SELECT count(*)::int AS created FROM agents WHERE name LIKE 'cut-%'",
    );
    expect(created).toBeGreaterThanOrEqual(answered.length);
  });

  /** While `work` runs, the database refuses the audit row of any request sent with `x-request-id: refused-audit-row`. */
  async function refusingAuditRows(work: () => Promise<void>): Promise<void> {
    await sql(`CREATE FUNCTION refuse_test_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN IF NEW.trace_id = 'refused-audit-row' THEN RAISE EXCEPTION 'audit row refused'; END IF; RETURN NEW; END $$`);
    await sql(`CREATE TRIGGER refuse_test_audit_row BEFORE INSERT ON audit_outbox
               FOR EACH ROW EXECUTE FUNCTION refuse_test_audit_row()`);
    try {
      await work();
    } finally {
      await sql('DROP TRIGGER refuse_test_audit_row ON audit_outbox');
      await sql('DROP FUNCTION refuse_test_audit_row()');
    }
  }

  it('rolls the change back when the audit row sent with its COMMIT is refused, and leaves no connection mid-transaction', async () => {
    // The database refuses this one request's audit row, as it would a row it cannot store.
    await refusingAuditRows(async () => {
      const name = `unrecorded-${randomUUID()}`;
      const refused = await request(baseUrl, '/api/v1/agents', {
        method: 'POST',
        token,
        json: { name },
        headers: { 'x-request-id': 'refused-audit-row' },
      });
      expectErrorBody(refused, 500, 'INTERNAL_ERROR');
      expect(await sql('SELECT 1 FROM agents WHERE name = $1', [name])).toEqual([]);

      // Every pooled connection is used again at once: one left in an aborted transaction would fail its request.
      const next = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          request(baseUrl, '/api/v1/agents', {
            method: 'POST',
            token,
            json: { name: `after-refusal-${i}-${randomUUID()}` },
          }),
        ),
      );
      expect(next.map((result) => result.status)).toEqual(Array.from({ length: 20 }, () => 201));
    });
  });

  it('runs PATCH and DELETE in the audited transaction too: a refused row undoes the change', async () => {
    const name = `kept-${randomUUID()}`;
    const created = await request<{ id: string }>(baseUrl, '/api/v1/agents', { method: 'POST', token, json: { name } });
    expect(created.status).toBe(201);
    const agent = `/api/v1/agents/${created.body.id}`;
    const refused = { token, headers: { 'x-request-id': 'refused-audit-row' } };
    await refusingAuditRows(async () => {
      const renamed = await request(baseUrl, agent, { method: 'PATCH', json: { name: `renamed-${name}` }, ...refused });
      expectErrorBody(renamed, 500, 'INTERNAL_ERROR');
      expectErrorBody(await request(baseUrl, agent, { method: 'DELETE', ...refused }), 500, 'INTERNAL_ERROR');
    });
    expect(await sql('SELECT name FROM agents WHERE id = $1', [created.body.id])).toEqual([{ name }]);
  });

  it('binds the audited transaction to every state-changing route, a test-only one included, and to no read or computation', () => {
    const routes = testApp.app.get(RouteCatalog).all();
    const bound = (route: CatalogRoute) =>
      ((Reflect.getMetadata(INTERCEPTORS_METADATA, route.handler) as unknown[] | undefined) ?? []).includes(
        AUDITED_TRANSACTION,
      );
    const posted = routes.filter((route) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method));
    const computing = posted.filter((route) => Reflect.getMetadata(COMPUTES_ONLY, route.handler) === true);
    expect(computing.map((route) => route.url).sort()).toEqual([
      '/api/v1/transit/keys/:name/decrypt',
      '/api/v1/transit/keys/:name/encrypt',
      '/api/v1/transit/keys/:name/rewrap',
    ]);
    expect(computing.filter(bound)).toEqual([]);
    const changing = posted.filter((route) => !computing.includes(route));
    expect(changing.map((route) => route.url)).toContain('/api/v1/test-only-events/commit');
    expect(changing.filter((route) => !bound(route))).toEqual([]);
    const reads = routes.filter((route) => route.method === 'GET');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter(bound)).toEqual([]);
  });

  it('records a read that the access decision let through with allowed = true', async () => {
    const created = await request<{ id: string }>(baseUrl, '/api/v1/agents', {
      method: 'POST',
      token,
      json: { name: `read-${randomUUID()}` },
    });
    const traceId = `read-allowed-${randomUUID()}`;
    const read = await request(baseUrl, `/api/v1/agents/${created.body.id}`, {
      token,
      headers: { 'x-request-id': traceId },
    });
    expect(read.status).toBe(200);
    await testApp.app.get(AuditTrail).flush();
    expect(await auditRows(testApp.app, 'trace_id = $1', [traceId])).toEqual([
      expect.objectContaining({ action_type: 'agents.get', response_status: 200, allowed: true, success: true }),
    ]);
  });
});

describe('audit: apps built at the same time in one process', () => {
  it('each records its own changes, with their audit rows, in its own database', async () => {
    // Route metadata belongs to the controller classes, which every app of a process shares: the
    // second app is built after the first has its providers and before it registers its routes.
    const apps: TestApp[] = [];
    try {
      apps.push(await createTestApp({}, { beforeListen: async () => void apps.push(await createTestApp()) }));
      for (const [index, { app, baseUrl }] of apps.entries()) {
        const token = await tokenFor(baseUrl, await createUser(app, { role: Role.Admin }));
        const name = `app-${index}-${randomUUID()}`;
        const created = await request<{ id: string }>(baseUrl, '/api/v1/agents', {
          method: 'POST',
          token,
          json: { name },
        });
        expect(created.status).toBe(201);
        const own = app.get(DataSource);
        expect(await own.query('SELECT name FROM agents WHERE id = $1', [created.body.id])).toEqual([{ name }]);
        expect(await auditRows(app, "action_type = 'agents.create' AND resource_id = $1", [created.body.id])).toEqual([
          expect.objectContaining({ success: true, response_status: 201 }),
        ]);
      }
      expect(apps).toHaveLength(2);
    } finally {
      await Promise.all(apps.map((testApp) => testApp.close()));
    }
  });
});
