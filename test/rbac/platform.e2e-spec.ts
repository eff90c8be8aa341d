import { publishedEvent, recordEvents } from '../support/events';
import { DataSource } from 'typeorm';
import type { AgentDto, AgentRunDto } from '../../src/platform/agents/dto/agent.dto';
import type { ApiToggleDto } from '../../src/platform/api-toggles/dto/api-toggle.dto';
import type { ProposalDto } from '../../src/platform/proposals/dto/proposal.dto';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, type TestUser, tokenFor } from '../support/users';
import { API, createAgent, createProposal, createToggle, type Page, recordRun, unique } from './rbac-fixtures';

const MISSING_ID = '5b0c1b8e-2a3b-4c5d-8e9f-0a1b2c3d4e5f';

describe('platform: agents, proposals and API toggles', () => {
  const clock = new TestClock(new Date('2032-06-01T08:00:00.000Z'));
  let testApp: TestApp;
  let baseUrl: string;
  const users = {} as Record<'admin' | 'otherAdmin' | 'operator' | 'auditor', TestUser>;
  const tokens = {} as Record<keyof typeof users, string>;

  beforeAll(async () => {
    testApp = await createTestApp({}, { clock });
    baseUrl = testApp.baseUrl;
    const roles = { admin: 'ADMIN', otherAdmin: 'ADMIN', operator: 'OPERATOR', auditor: 'AUDITOR' } as const;
    for (const [key, role] of Object.entries(roles) as [keyof typeof users, (typeof roles)[keyof typeof roles]][]) {
      users[key] = await createUser(testApp.app, { role });
      tokens[key] = await tokenFor(baseUrl, users[key]);
    }
  });
  afterAll(() => testApp.close());

  describe('agents', () => {
    const agentsPath = `${API}/agents`;
    const post = (json: unknown) =>
      request<AgentDto>(baseUrl, agentsPath, { method: 'POST', token: tokens.admin, json });
    const patch = (id: string, json: unknown) =>
      request<AgentDto>(baseUrl, `${agentsPath}/${id}`, { method: 'PATCH', token: tokens.admin, json });

    it('creates an agent with defaults, reads, changes and deletes it', async () => {
      const name = unique('scanner');
      const created = await post({ name });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        name,
        description: null,
        status: 'active',
        config: {},
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const path = `${agentsPath}/${created.body.id}`;
      const fetched = await request<AgentDto>(baseUrl, path, { token: tokens.auditor });
      expect(fetched.body).toEqual(created.body);

      const changed = await patch(created.body.id, {
        description: 'looks for momentum',
        status: 'paused',
        config: { threshold: 0.7, symbols: ['A', 'B'] },
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        name,
        description: 'looks for momentum',
        status: 'paused',
        config: { threshold: 0.7, symbols: ['A', 'B'] },
      });
      const paused = await request<Page<AgentDto>>(baseUrl, `${agentsPath}?status=paused&limit=100`, {
        token: tokens.operator,
      });
      expect(paused.body.items.map((agent) => agent.id)).toContain(created.body.id);
      expect(paused.body.items.every((agent) => agent.status === 'paused')).toBe(true);

      expect((await request(baseUrl, path, { method: 'DELETE', token: tokens.admin })).status).toBe(204);
      expectErrorBody(await request(baseUrl, path, { token: tokens.admin }), 404);
      expectErrorBody(await request(baseUrl, path, { method: 'DELETE', token: tokens.admin }), 404);
      expectErrorBody(await patch(created.body.id, { description: 'gone' }), 404);
    });

    it('refuses invalid agents with 400', async () => {
      const valid = { name: unique('valid') };
      for (const body of [
        {},
        { name: '' },
        { name: 'x'.repeat(101) },
        { name: 42 },
        { ...valid, status: 'sleeping' },
        { ...valid, config: 'not an object' },
        { ...valid, config: [1, 2] },
        { ...valid, description: 'x'.repeat(2001) },
        { ...valid, owner: 'someone' },
      ]) {
        expectErrorBody(await post(body), 400);
      }
      const agent = await createAgent(baseUrl, tokens.admin);
      for (const body of [{ name: '' }, { status: 'sleeping' }, { id: MISSING_ID }]) {
        expectErrorBody(await patch(agent.id, body), 400);
      }
      expectErrorBody(await request(baseUrl, `${agentsPath}/not-a-uuid`, { token: tokens.admin }), 400);
      expectErrorBody(await request(baseUrl, `${agentsPath}?status=sleeping`, { token: tokens.admin }), 400);
    });

    it('refuses null for fields that cannot be empty, with 400 and not a 500', async () => {
      const agent = await createAgent(baseUrl, tokens.admin, { description: 'to clear' });
      for (const body of [{ name: null }, { status: null }, { config: null }]) {
        expectErrorBody(await patch(agent.id, body), 400);
      }
      const cleared = await patch(agent.id, { description: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.description).toBeNull();
    });

    it('keeps agent names unique, ignoring case, with 409', async () => {
      const agent = await createAgent(baseUrl, tokens.admin);
      expectErrorBody(await post({ name: agent.name.toUpperCase() }), 409);
      const other = await createAgent(baseUrl, tokens.admin);
      expectErrorBody(await patch(other.id, { name: agent.name }), 409);
      // Keeping one's own name is no conflict.
      expect((await patch(agent.id, { name: agent.name })).status).toBe(200);
    });

    it('records runs and lists them newest first, filtered by time range and outcome, paginated', async () => {
      const agent = await createAgent(baseUrl, tokens.admin);
      const at = (hour: number) => `2032-05-01T${String(hour).padStart(2, '0')}:00:00.000Z`;
      const runs: AgentRunDto[] = [];
      for (const [hour, success] of [
        [1, true],
        [2, false],
        [3, true],
        [4, false],
        [5, true],
      ] as const) {
        runs.push(
          await recordRun(baseUrl, tokens.admin, agent.id, {
            startedAt: at(hour),
            success,
            durationMs: hour * 100,
            findings: hour,
            ...(success ? {} : { error: `failure at ${hour}` }),
          }),
        );
      }
      expect(runs[1]).toEqual({
        id: expect.any(String),
        agentId: agent.id,
        startedAt: at(2),
        durationMs: 200,
        findings: 2,
        success: false,
        error: 'failure at 2',
      });
      const list = async (query: string) => {
        const result = await request<Page<AgentRunDto>>(baseUrl, `${API}/agents/${agent.id}/runs?${query}`, {
          token: tokens.auditor,
        });
        expect(result.status).toBe(200);
        return result.body;
      };
      const hours = (page: Page<AgentRunDto>) => page.items.map((run) => new Date(run.startedAt).getUTCHours());

      expect(hours(await list(''))).toEqual([5, 4, 3, 2, 1]);
      expect(hours(await list(`from=${at(2)}&to=${at(4)}`))).toEqual([3, 2]);
      expect(hours(await list('success=false'))).toEqual([4, 2]);
      expect(hours(await list(`success=true&from=${at(3)}`))).toEqual([5, 3]);
      const second = await list('limit=2&offset=2');
      expect(second).toMatchObject({ total: 5, limit: 2, offset: 2 });
      expect(hours(second)).toEqual([3, 2]);

      for (const bad of ['success=maybe', 'from=yesterday', 'to=2032-13-01T00:00:00Z', 'limit=101']) {
        expectErrorBody(await request(baseUrl, `${API}/agents/${agent.id}/runs?${bad}`, { token: tokens.admin }), 400);
      }
      expectErrorBody(await request(baseUrl, `${API}/agents/${MISSING_ID}/runs`, { token: tokens.admin }), 404);
    });

    it('validates runs with 400, refuses runs of a missing agent with 404', async () => {
      const agent = await createAgent(baseUrl, tokens.admin);
      const valid = { startedAt: '2032-05-01T00:00:00.000Z', durationMs: 10, findings: 0, success: true };
      const postRun = (id: string, json: unknown) =>
        request(baseUrl, `${API}/agents/${id}/runs`, { method: 'POST', token: tokens.admin, json });
      for (const body of [
        {},
        { ...valid, startedAt: 'now' },
        { ...valid, durationMs: -1 },
        { ...valid, durationMs: 1.5 },
        { ...valid, durationMs: 86_400_001 },
        { ...valid, findings: -3 },
        { ...valid, success: 'yes' },
        { ...valid, error: 42 },
        { ...valid, agentId: MISSING_ID },
      ]) {
        expectErrorBody(await postRun(agent.id, body), 400);
      }
      expectErrorBody(await postRun(MISSING_ID, valid), 404);
    });

    it('deletes an agent’s runs with it', async () => {
      const agent = await createAgent(baseUrl, tokens.admin);
      await recordRun(baseUrl, tokens.admin, agent.id);
      expect(
        (await request(baseUrl, `${API}/agents/${agent.id}`, { method: 'DELETE', token: tokens.admin })).status,
      ).toBe(204);
      const [{ count }] = await testApp.app
        .get(DataSource)
        .query<{ count: string }[]>('SELECT count(*) FROM agent_runs WHERE agent_id = $1', [agent.id]);
      expect(count).toBe('0');
    });
  });

  describe('proposals', () => {
    const decide = (token: string, id: string, decision: 'approve' | 'reject', comment?: string) =>
      request<ProposalDto>(baseUrl, `${API}/proposals/${id}/${decision}`, {
        method: 'POST',
        token,
        json: comment === undefined ? {} : { comment },
      });

    it('records the caller as author, pending and undecided', async () => {
      const created = await request<ProposalDto>(baseUrl, `${API}/proposals`, {
        method: 'POST',
        token: tokens.admin,
        json: { title: 'Tighten stops', description: 'because', diff: '+a' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        title: 'Tighten stops',
        description: 'because',
        diff: '+a',
        status: 'pending',
        authorId: users.admin.id,
        decidedBy: null,
        decidedAt: null,
        decisionComment: null,
        createdAt: expect.any(String),
      });
      const fetched = await request<ProposalDto>(baseUrl, `${API}/proposals/${created.body.id}`, {
        token: tokens.auditor,
      });
      expect(fetched.body).toEqual(created.body);
      // The author is the caller, whatever the body says.
      expectErrorBody(
        await request(baseUrl, `${API}/proposals`, {
          method: 'POST',
          token: tokens.admin,
          json: { title: 't', diff: '+a', authorId: users.otherAdmin.id },
        }),
        400,
      );
    });

    it('validates proposals with 400 and answers a missing one with 404', async () => {
      const post = (json: unknown) =>
        request(baseUrl, `${API}/proposals`, { method: 'POST', token: tokens.admin, json });
      for (const body of [
        {},
        { title: '', diff: '+a' },
        { title: 'x'.repeat(201), diff: '+a' },
        { title: 't' },
        { title: 't', diff: '' },
      ]) {
        expectErrorBody(await post(body), 400);
      }
      expectErrorBody(await request(baseUrl, `${API}/proposals/${MISSING_ID}`, { token: tokens.admin }), 404);
      expectErrorBody(await decide(tokens.operator, MISSING_ID, 'approve'), 404);
      expectErrorBody(await request(baseUrl, `${API}/proposals?status=merged`, { token: tokens.admin }), 400);
      const proposal = await createProposal(baseUrl, tokens.admin);
      expectErrorBody(await decide(tokens.otherAdmin, proposal.id, 'approve', 'x'.repeat(4001)), 400);
    });

    it('keeps four eyes: the author cannot approve or reject their own proposal, another ADMIN can', async () => {
      const proposal = await createProposal(baseUrl, tokens.admin);
      const own = await decide(tokens.admin, proposal.id, 'approve');
      expectErrorBody(own, 403);
      expect((own.body as unknown as { message: string }).message).toBe(
        'The author of a proposal cannot decide it (four eyes)',
      );
      expectErrorBody(await decide(tokens.admin, proposal.id, 'reject'), 403);

      const events = recordEvents(testApp.app, 'proposal.');
      const approved = await decide(tokens.otherAdmin, proposal.id, 'approve', 'looks right');
      events.stop();
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({
        status: 'approved',
        authorId: users.admin.id,
        decidedBy: users.otherAdmin.id,
        decidedAt: clock.now().toISOString(),
        decisionComment: 'looks right',
      });
      expect(events.events).toEqual([
        {
          name: 'proposal.decided',
          payload: publishedEvent({
            proposalId: proposal.id,
            decision: 'approved',
            deciderId: users.otherAdmin.id,
          }),
        },
      ]);
    });

    it('lets an OPERATOR decide, but an AUDITOR not', async () => {
      const proposal = await createProposal(baseUrl, tokens.admin);
      expectErrorBody(await decide(tokens.auditor, proposal.id, 'reject'), 403);
      const rejected = await decide(tokens.operator, proposal.id, 'reject', 'no tests');
      expect(rejected.status).toBe(200);
      expect(rejected.body).toMatchObject({
        status: 'rejected',
        decidedBy: users.operator.id,
        decisionComment: 'no tests',
      });
    });

    it('does not decide a proposal twice', async () => {
      const proposal = await createProposal(baseUrl, tokens.admin);
      expect((await decide(tokens.operator, proposal.id, 'approve')).status).toBe(200);
      expectErrorBody(await decide(tokens.otherAdmin, proposal.id, 'reject'), 409);
      expectErrorBody(await decide(tokens.otherAdmin, proposal.id, 'approve'), 409);
      expectErrorBody(await decide(tokens.operator, proposal.id, 'approve'), 409);
      const after = await request<ProposalDto>(baseUrl, `${API}/proposals/${proposal.id}`, { token: tokens.admin });
      expect(after.body).toMatchObject({ status: 'approved', decidedBy: users.operator.id });
    });

    it('lets exactly one of two racing deciders win', async () => {
      for (let round = 0; round < 3; round += 1) {
        const proposal = await createProposal(baseUrl, tokens.admin);
        const events = recordEvents(testApp.app, 'proposal.');
        const results = await Promise.all([
          decide(tokens.operator, proposal.id, 'approve'),
          decide(tokens.otherAdmin, proposal.id, 'reject'),
        ]);
        events.stop();
        expect(results.map((result) => result.status).sort()).toEqual([200, 409]);
        const winner = results.find((result) => result.status === 200)!;
        expectErrorBody(
          results.find((result) => result.status === 409)!,
          409,
        );
        const stored = await request<ProposalDto>(baseUrl, `${API}/proposals/${proposal.id}`, { token: tokens.admin });
        expect(stored.body).toMatchObject({ status: winner.body.status, decidedBy: winner.body.decidedBy });
        expect(events.events).toHaveLength(1);
      }
    });

    it('lists proposals newest first, filtered by status', async () => {
      const first = await createProposal(baseUrl, tokens.admin);
      const second = await createProposal(baseUrl, tokens.admin);
      await decide(tokens.operator, first.id, 'reject');
      const pending = await request<Page<ProposalDto>>(baseUrl, `${API}/proposals?status=pending&limit=100`, {
        token: tokens.auditor,
      });
      expect(pending.body.items.every((proposal) => proposal.status === 'pending')).toBe(true);
      expect(pending.body.items.map((proposal) => proposal.id)).toContain(second.id);
      expect(pending.body.items.map((proposal) => proposal.id)).not.toContain(first.id);
      const all = await request<Page<ProposalDto>>(baseUrl, `${API}/proposals?limit=100`, { token: tokens.auditor });
      const ids = all.body.items.map((proposal) => proposal.id);
      expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    });
  });

  describe('API toggles', () => {
    const togglesPath = `${API}/api-toggles`;
    const patch = (id: string, json: unknown, token = tokens.admin) =>
      request<ApiToggleDto>(baseUrl, `${togglesPath}/${id}`, { method: 'PATCH', token, json });

    it('creates a toggle with defaults, and one with a price per call as a number', async () => {
      const name = unique('openai');
      const plain = await createToggle(baseUrl, tokens.admin, { name });
      expect(plain).toEqual({
        id: expect.any(String),
        name,
        description: null,
        enabled: false,
        costPerCall: 0,
        updatedBy: users.admin.id,
        updatedAt: expect.any(String),
      });
      const priced = await createToggle(baseUrl, tokens.admin, { enabled: true, costPerCall: 0.002, description: 'x' });
      expect(priced).toMatchObject({ enabled: true, costPerCall: 0.002, description: 'x' });
      const fetched = await request<ApiToggleDto>(baseUrl, `${togglesPath}/${priced.id}`, { token: tokens.operator });
      expect(fetched.body).toEqual(priced);
      expect(typeof fetched.body.costPerCall).toBe('number');
    });

    it('switches a toggle and changes its price, recording who did it', async () => {
      const toggle = await createToggle(baseUrl, tokens.admin);
      const changed = await patch(
        toggle.id,
        { enabled: true, costPerCall: 1.25, description: 'billed' },
        tokens.otherAdmin,
      );
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        enabled: true,
        costPerCall: 1.25,
        description: 'billed',
        updatedBy: users.otherAdmin.id,
      });
      const precise = await patch(toggle.id, { costPerCall: 0.000001 });
      expect(precise.body.costPerCall).toBe(0.000001);
      const listed = await request<Page<ApiToggleDto>>(baseUrl, `${togglesPath}?limit=100`, { token: tokens.operator });
      expect(listed.body.items.find((item) => item.id === toggle.id)).toMatchObject({
        enabled: true,
        costPerCall: 0.000001,
      });
    });

    it('validates toggles with 400, keeps names unique with 409, answers a missing one with 404', async () => {
      const toggle = await createToggle(baseUrl, tokens.admin);
      const post = (json: unknown) => request(baseUrl, togglesPath, { method: 'POST', token: tokens.admin, json });
      for (const body of [
        {},
        { name: '' },
        { name: unique('t'), costPerCall: -0.01 },
        { name: unique('t'), costPerCall: '0.5' },
        { name: unique('t'), costPerCall: 0.0000001 },
        { name: unique('t'), costPerCall: 1_000_000 },
        { name: unique('t'), enabled: 'yes' },
      ]) {
        expectErrorBody(await post(body), 400);
      }
      expectErrorBody(await post({ name: toggle.name.toUpperCase() }), 409);
      for (const body of [{ costPerCall: -1 }, { enabled: 'on' }, { name: 'renamed' }]) {
        expectErrorBody(await patch(toggle.id, body), 400);
      }
      expectErrorBody(await patch(MISSING_ID, { enabled: true }), 404);
      expectErrorBody(await request(baseUrl, `${togglesPath}/${MISSING_ID}`, { token: tokens.admin }), 404);
    });

    it('refuses null for fields that cannot be empty, with 400 and not a 500', async () => {
      const toggle = await createToggle(baseUrl, tokens.admin, { description: 'to clear' });
      expectErrorBody(await patch(toggle.id, { enabled: null }), 400);
      expectErrorBody(await patch(toggle.id, { costPerCall: null }), 400);
      const cleared = await patch(toggle.id, { description: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.description).toBeNull();
    });

    it('lets an OPERATOR read but not change toggles, and an AUDITOR neither', async () => {
      const toggle = await createToggle(baseUrl, tokens.admin);
      expect((await request(baseUrl, togglesPath, { token: tokens.operator })).status).toBe(200);
      expectErrorBody(await patch(toggle.id, { enabled: true }, tokens.operator), 403);
      expectErrorBody(await request(baseUrl, togglesPath, { token: tokens.auditor }), 403);
      expectErrorBody(await request(baseUrl, `${togglesPath}/${toggle.id}`, { token: tokens.auditor }), 403);
      expectErrorBody(await patch(toggle.id, { enabled: true }, tokens.auditor), 403);
      const unchanged = await request<ApiToggleDto>(baseUrl, `${togglesPath}/${toggle.id}`, { token: tokens.admin });
      expect(unchanged.body.enabled).toBe(false);
    });
  });
});
