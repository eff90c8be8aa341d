import { randomBytes } from 'node:crypto';
import { publishedEvent, recordEvents } from '../support/events';
import type { AccessCheckDto, GrantDto } from '../../src/rbac/dto/grant.dto';
import { Permission } from '../../src/rbac/permission';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, type TestUser, tokenFor } from '../support/users';
import {
  API,
  createAgent,
  createGrant,
  createProposal,
  createUserViaApi,
  expectStatus,
  type Page,
  unique,
} from './rbac-fixtures';

describe('rbac: grants', () => {
  const clock = new TestClock(new Date('2031-03-01T12:00:00.000Z'));
  let testApp: TestApp;
  let baseUrl: string;
  let admin: TestUser;
  let adminToken: string;

  beforeAll(async () => {
    testApp = await createTestApp({}, { clock });
    baseUrl = testApp.baseUrl;
    admin = await createUser(testApp.app, { role: 'ADMIN' });
    adminToken = await tokenFor(baseUrl, admin);
  });
  afterAll(() => testApp.close());

  async function operator(): Promise<{ user: TestUser; token: string }> {
    const user = await createUser(testApp.app, { role: 'OPERATOR' });
    return { user, token: await tokenFor(baseUrl, user) };
  }

  const patchAgent = (token: string, id: string) =>
    request(baseUrl, `${API}/agents/${id}`, { method: 'PATCH', token, json: { description: unique('changed') } });
  const postAgent = (token: string) =>
    request(baseUrl, `${API}/agents`, { method: 'POST', token, json: { name: unique('agent') } });

  async function check(query: Record<string, string>): Promise<AccessCheckDto> {
    const result = await request<AccessCheckDto>(
      baseUrl,
      `${API}/rbac/check?${new URLSearchParams(query).toString()}`,
      {
        token: adminToken,
      },
    );
    expectStatus(result, 200);
    return result.body;
  }

  it('lets a grant scoped to one agent change that agent and no other, nor create agents', async () => {
    const { user, token } = await operator();
    const [agentX, agentY] = [await createAgent(baseUrl, adminToken), await createAgent(baseUrl, adminToken)];
    expectErrorBody(await patchAgent(token, agentX.id), 403);

    const events = recordEvents(testApp.app, 'rbac.grant');
    const grant = await createGrant(baseUrl, adminToken, {
      userId: user.id,
      permission: Permission.AgentsManage,
      resourceType: 'agent',
      resourceId: agentX.id,
    });
    events.stop();
    expect(grant).toEqual({
      id: expect.any(String),
      userId: user.id,
      permission: Permission.AgentsManage,
      resourceType: 'agent',
      resourceId: agentX.id,
      expiresAt: null,
      isActive: true,
      grantedBy: admin.id,
      createdAt: expect.any(String),
      revokedAt: null,
    });
    expect(events.events).toEqual([
      {
        name: 'rbac.grant.created',
        payload: publishedEvent({
          grantId: grant.id,
          userId: user.id,
          permission: Permission.AgentsManage,
          resourceType: 'agent',
          resourceId: agentX.id,
          actorId: admin.id,
        }),
      },
    ]);

    expect((await patchAgent(token, agentX.id)).status).toBe(200);
    const run = await request(baseUrl, `${API}/agents/${agentX.id}/runs`, {
      method: 'POST',
      token,
      json: { startedAt: '2031-03-01T00:00:00.000Z', durationMs: 1, findings: 0, success: true },
    });
    expect(run.status).toBe(201);
    expectErrorBody(await patchAgent(token, agentY.id), 403);
    expectErrorBody(await request(baseUrl, `${API}/agents/${agentY.id}`, { method: 'DELETE', token }), 403);
    expectErrorBody(await postAgent(token), 403);

    const base = { userId: user.id, permission: Permission.AgentsManage };
    expect(await check({ ...base, resourceType: 'agent', resourceId: agentX.id })).toEqual({
      allowed: true,
      via: 'grant',
      grantId: grant.id,
    });
    expect(await check({ ...base, resourceType: 'agent', resourceId: agentY.id })).toEqual({
      allowed: false,
      via: 'none',
    });
    expect(await check(base)).toEqual({ allowed: false, via: 'none' });
    // Same id, other kind of resource: the scope names both.
    expect(await check({ ...base, resourceType: 'proposal', resourceId: agentX.id })).toEqual({
      allowed: false,
      via: 'none',
    });
  });

  it('lets a grant scoped to a resource type act on every resource of that type, but not on routes without one', async () => {
    const { user, token } = await operator();
    const [agentX, agentY] = [await createAgent(baseUrl, adminToken), await createAgent(baseUrl, adminToken)];
    const grant = await createGrant(baseUrl, adminToken, {
      userId: user.id,
      permission: Permission.AgentsManage,
      resourceType: 'agent',
    });
    expect((await patchAgent(token, agentX.id)).status).toBe(200);
    expect((await patchAgent(token, agentY.id)).status).toBe(200);
    expect((await request(baseUrl, `${API}/agents/${agentY.id}`, { method: 'DELETE', token })).status).toBe(204);
    expectErrorBody(await postAgent(token), 403);
    expect(
      await check({
        userId: user.id,
        permission: Permission.AgentsManage,
        resourceType: 'agent',
        resourceId: agentX.id,
      }),
    ).toEqual({ allowed: true, via: 'grant', grantId: grant.id });
  });

  it('does not let a grant typed for one kind of resource count on another', async () => {
    const auditor = await createUser(testApp.app, { role: 'AUDITOR' });
    const token = await tokenFor(baseUrl, auditor);
    const author = await createUser(testApp.app, { role: 'ADMIN' });
    const proposal = await createProposal(baseUrl, await tokenFor(baseUrl, author));
    await createGrant(baseUrl, adminToken, {
      userId: auditor.id,
      permission: Permission.ProposalsApprove,
      resourceType: 'agent',
      resourceId: proposal.id,
    });
    const approve = await request(baseUrl, `${API}/proposals/${proposal.id}/approve`, {
      method: 'POST',
      token,
      json: {},
    });
    expectErrorBody(approve, 403);
    await createGrant(baseUrl, adminToken, {
      userId: auditor.id,
      permission: Permission.ProposalsApprove,
      resourceType: 'proposal',
      resourceId: proposal.id,
    });
    const approved = await request<{ status: string; decidedBy: string }>(
      baseUrl,
      `${API}/proposals/${proposal.id}/approve`,
      { method: 'POST', token, json: {} },
    );
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: auditor.id });
  });

  it('lets an unscoped grant count everywhere', async () => {
    const { user, token } = await operator();
    const agent = await createAgent(baseUrl, adminToken);
    const grant = await createGrant(baseUrl, adminToken, { userId: user.id, permission: Permission.AgentsManage });
    expect((await postAgent(token)).status).toBe(201);
    expect((await patchAgent(token, agent.id)).status).toBe(200);
    const base = { userId: user.id, permission: Permission.AgentsManage };
    expect(await check(base)).toEqual({ allowed: true, via: 'grant', grantId: grant.id });
    expect(await check({ ...base, resourceType: 'agent', resourceId: agent.id })).toEqual({
      allowed: true,
      via: 'grant',
      grantId: grant.id,
    });
    // What the role gives is answered as the role's.
    expect(await check({ userId: user.id, permission: Permission.AgentsRead })).toEqual({ allowed: true, via: 'role' });
  });

  it('stops counting an expiring grant at its expiry, with no job having run', async () => {
    const { user, token } = await operator();
    const agent = await createAgent(baseUrl, adminToken);
    const expiresAt = new Date(clock.now().getTime() + 5 * 60_000);
    const grant = await createGrant(baseUrl, adminToken, {
      userId: user.id,
      permission: Permission.AgentsManage,
      expiresAt: expiresAt.toISOString(),
    });
    expect(grant.expiresAt).toBe(expiresAt.toISOString());
    const base = { userId: user.id, permission: Permission.AgentsManage };

    clock.advance(5 * 60_000 - 1_000);
    expect((await patchAgent(token, agent.id)).status).toBe(200);
    expect(await check(base)).toEqual({ allowed: true, via: 'grant', grantId: grant.id });

    clock.advance(1_000);
    expectErrorBody(await patchAgent(token, agent.id), 403);
    expectErrorBody(await postAgent(token), 403);
    expect(await check(base)).toEqual({ allowed: false, via: 'none' });

    const listed = await request<Page<GrantDto>>(baseUrl, `${API}/rbac/grants?userId=${user.id}`, {
      token: adminToken,
    });
    expect(listed.body.items).toEqual([]);
    const history = await request<Page<GrantDto>>(
      baseUrl,
      `${API}/rbac/grants?userId=${user.id}&includeInactive=true`,
      { token: adminToken },
    );
    expect(history.body.items.map((item) => item.id)).toEqual([grant.id]);
  });

  it('stops counting a revoked grant on the very next request, and keeps it as history', async () => {
    const { user, token } = await operator();
    const agent = await createAgent(baseUrl, adminToken);
    const grant = await createGrant(baseUrl, adminToken, {
      userId: user.id,
      permission: Permission.AgentsManage,
      resourceType: 'agent',
      resourceId: agent.id,
    });
    expect((await patchAgent(token, agent.id)).status).toBe(200);

    const events = recordEvents(testApp.app, 'rbac.grant');
    const revoked = await request(baseUrl, `${API}/rbac/grants/${grant.id}`, { method: 'DELETE', token: adminToken });
    events.stop();
    expect(revoked.status).toBe(204);
    expect(events.events).toEqual([
      { name: 'rbac.grant.revoked', payload: expect.objectContaining({ grantId: grant.id, actorId: admin.id }) },
    ]);

    expectErrorBody(await patchAgent(token, agent.id), 403);
    expect(
      await check({
        userId: user.id,
        permission: Permission.AgentsManage,
        resourceType: 'agent',
        resourceId: agent.id,
      }),
    ).toEqual({ allowed: false, via: 'none' });
    expectErrorBody(
      await request(baseUrl, `${API}/rbac/grants/${grant.id}`, { method: 'DELETE', token: adminToken }),
      404,
    );
    const history = await request<Page<GrantDto>>(
      baseUrl,
      `${API}/rbac/grants?userId=${user.id}&includeInactive=true`,
      { token: adminToken },
    );
    expect(history.body.items).toEqual([
      expect.objectContaining({ id: grant.id, isActive: false, revokedAt: clock.now().toISOString() }),
    ]);
  });

  it('answers a check for an inactive user as not allowed, whatever their role or grants', async () => {
    const inactiveAdmin = await createUser(testApp.app, { role: 'ADMIN', isActive: false });
    expect(await check({ userId: inactiveAdmin.id, permission: Permission.UsersManage })).toEqual({
      allowed: false,
      via: 'inactive',
    });
    const inactiveOperator = await createUser(testApp.app, { role: 'OPERATOR', isActive: false });
    await createGrant(baseUrl, adminToken, { userId: inactiveOperator.id, permission: Permission.AgentsManage });
    expect(await check({ userId: inactiveOperator.id, permission: Permission.AgentsManage })).toEqual({
      allowed: false,
      via: 'inactive',
    });
  });

  it('validates a check: unknown user 404, unknown permission and malformed ids 400', async () => {
    const get = (query: string) => request(baseUrl, `${API}/rbac/check?${query}`, { token: adminToken });
    expectErrorBody(await get(`userId=5b0c1b8e-2a3b-4c5d-8e9f-0a1b2c3d4e5f&permission=agents:read`), 404);
    const { user } = await operator();
    expectErrorBody(await get(`userId=${user.id}&permission=agents:fly`), 400);
    expectErrorBody(await get(`userId=not-a-uuid&permission=agents:read`), 400);
    expectErrorBody(await get(`userId=${user.id}`), 400);
    expectErrorBody(await get(`userId=${user.id}&permission=agents:read&resourceType=planet&resourceId=x`), 400);
    // A resource id alone names no resource: refused as when granting, not silently dropped.
    expectErrorBody(await get(`userId=${user.id}&permission=agents:manage&resourceId=x`), 400);
  });

  it('validates a grant: expiry in the past 400, resourceId without a type 400, unknown user 404', async () => {
    const { user } = await operator();
    const post = (json: Record<string, unknown>) =>
      request(baseUrl, `${API}/rbac/grants`, { method: 'POST', token: adminToken, json });
    const base = { userId: user.id, permission: Permission.AgentsManage };
    expectErrorBody(await post({ ...base, expiresAt: new Date(clock.now().getTime() - 1_000).toISOString() }), 400);
    expectErrorBody(await post({ ...base, expiresAt: clock.now().toISOString() }), 400);
    expectErrorBody(await post({ ...base, resourceId: 'some-agent' }), 400);
    expectErrorBody(await post({ ...base, userId: '5b0c1b8e-2a3b-4c5d-8e9f-0a1b2c3d4e5f' }), 404);
    expectErrorBody(await post({ ...base, permission: 'agents:fly' }), 400);
    expectErrorBody(await post({ ...base, resourceType: 'planet' }), 400);
    expectErrorBody(await post({ ...base, expiresAt: 'next tuesday' }), 400);
    expectErrorBody(await post({ ...base, isActive: false }), 400);
    expectErrorBody(
      await request(baseUrl, `${API}/rbac/grants/not-a-uuid`, { method: 'DELETE', token: adminToken }),
      400,
    );
    const list = await request<Page<GrantDto>>(baseUrl, `${API}/rbac/grants?userId=${user.id}&includeInactive=true`, {
      token: adminToken,
    });
    expect(list.body.total).toBe(0);
  });

  describe('no escalation', () => {
    let deputy: TestUser;
    let deputyToken: string;

    beforeAll(async () => {
      // An OPERATOR who manages users through a grant an ADMIN made.
      deputy = await createUser(testApp.app, { role: 'OPERATOR' });
      await createGrant(baseUrl, adminToken, { userId: deputy.id, permission: Permission.UsersManage });
      deputyToken = await tokenFor(baseUrl, deputy);
    });

    const grantAs = (token: string, json: Record<string, unknown>) =>
      request<GrantDto>(baseUrl, `${API}/rbac/grants`, { method: 'POST', token, json });

    it('lets the deputy manage users through the grant', async () => {
      expect((await request(baseUrl, `${API}/users`, { token: deputyToken })).status).toBe(200);
      const created = await createUserViaApi(baseUrl, deputyToken, { role: 'OPERATOR' });
      expect(created.user.role).toBe('OPERATOR');
      expect(await check({ userId: deputy.id, permission: Permission.UsersManage })).toEqual({
        allowed: true,
        via: 'grant',
        grantId: expect.any(String),
      });
    });

    it('refuses users:manage to anyone but an ADMIN granter', async () => {
      const { user } = await operator();
      expectErrorBody(await grantAs(deputyToken, { userId: user.id, permission: Permission.UsersManage }), 403);
      expectErrorBody(await grantAs(deputyToken, { userId: deputy.id, permission: Permission.UsersManage }), 403);
      expect(await check({ userId: user.id, permission: Permission.UsersManage })).toEqual({
        allowed: false,
        via: 'none',
      });
    });

    it('refuses to grant what the granter does not hold, and allows what they do', async () => {
      const { user } = await operator();
      expectErrorBody(await grantAs(deputyToken, { userId: user.id, permission: Permission.SettingsWrite }), 403);
      expectErrorBody(await grantAs(deputyToken, { userId: user.id, permission: Permission.AgentsManage }), 403);
      expectErrorBody(await grantAs(deputyToken, { userId: deputy.id, permission: Permission.SecretsManage }), 403);
      const allowed = await grantAs(deputyToken, { userId: user.id, permission: Permission.LogsRead });
      expect(allowed.status).toBe(201);
      expect(allowed.body.grantedBy).toBe(deputy.id);
    });

    it('refuses to let a non-admin revoke a users:manage grant', async () => {
      const { user } = await operator();
      const adminsGrant = await createGrant(baseUrl, adminToken, {
        userId: user.id,
        permission: Permission.UsersManage,
      });
      expectErrorBody(
        await request(baseUrl, `${API}/rbac/grants/${adminsGrant.id}`, { method: 'DELETE', token: deputyToken }),
        403,
      );
      expect(await check({ userId: user.id, permission: Permission.UsersManage })).toMatchObject({ allowed: true });
    });

    it('refuses to create an ADMIN, to promote anyone to ADMIN, or to touch an ADMIN', async () => {
      const username = unique('would-be-admin');
      const createAdmin = await request(baseUrl, `${API}/users`, {
        method: 'POST',
        token: deputyToken,
        json: { username, email: `${username}@example.test`, role: 'ADMIN' },
      });
      expectErrorBody(createAdmin, 403);

      const { user: target } = await operator();
      const patch = (id: string, json: Record<string, unknown>) =>
        request(baseUrl, `${API}/users/${id}`, { method: 'PATCH', token: deputyToken, json });
      expectErrorBody(await patch(target.id, { role: 'ADMIN' }), 403);
      expectErrorBody(await patch(deputy.id, { role: 'ADMIN' }), 403);

      const otherAdmin = await createUser(testApp.app, { role: 'ADMIN' });
      const otherAdminToken = await tokenFor(baseUrl, otherAdmin);
      expectErrorBody(await patch(otherAdmin.id, { displayName: 'Hijacked' }), 403);
      expectErrorBody(await patch(otherAdmin.id, { isActive: false }), 403);
      expectErrorBody(await patch(otherAdmin.id, { role: 'AUDITOR' }), 403);
      const asDeputy = (path: string, method: string) =>
        request(baseUrl, `${API}/users/${otherAdmin.id}${path}`, { method, token: deputyToken });
      expectErrorBody(await asDeputy('', 'DELETE'), 403);
      expectErrorBody(await asDeputy('/reset-password', 'POST'), 403);
      expectErrorBody(await asDeputy('/unlock', 'POST'), 403);
      expectErrorBody(await asDeputy('/sessions', 'DELETE'), 403);

      // None of it happened.
      const after = await request<{ role: string; isActive: boolean; displayName: string | null }>(
        baseUrl,
        `${API}/users/${otherAdmin.id}`,
        { token: adminToken },
      );
      expect(after.body).toMatchObject({ role: 'ADMIN', isActive: true, displayName: null });
      expect((await request(baseUrl, `${API}/auth/me`, { token: otherAdminToken })).status).toBe(200);
      const targetNow = await request<{ role: string }>(baseUrl, `${API}/users/${target.id}`, { token: adminToken });
      expect(targetNow.body.role).toBe('OPERATOR');
    });

    it('lets the deputy create and change users within its own permissions, and no others', async () => {
      const created = await createUserViaApi(baseUrl, deputyToken, { role: 'OPERATOR' });
      const renamed = await request<{ displayName: string }>(baseUrl, `${API}/users/${created.user.id}`, {
        method: 'PATCH',
        token: deputyToken,
        json: { displayName: 'Renamed by the deputy' },
      });
      expect(renamed.status).toBe(200);
      // AUDITOR carries audit:read, which the deputy (an OPERATOR) lacks: giving it would grant it.
      const suffix = randomBytes(4).toString('hex');
      const auditor = await request(baseUrl, `${API}/users`, {
        method: 'POST',
        token: deputyToken,
        json: { username: `aud-${suffix}`, email: `aud-${suffix}@example.test`, role: 'AUDITOR' },
      });
      expectErrorBody(auditor, 403);
      const promoted = await request(baseUrl, `${API}/users/${created.user.id}`, {
        method: 'PATCH',
        token: deputyToken,
        json: { role: 'AUDITOR' },
      });
      expectErrorBody(promoted, 403);
    });

    it('cannot take over a user who holds more than the deputy, by resetting their password', async () => {
      const { user: holder } = await operator();
      await createGrant(baseUrl, adminToken, { userId: holder.id, permission: Permission.SecretsManage });
      for (const action of ['reset-password', 'unlock']) {
        expectErrorBody(
          await request(baseUrl, `${API}/users/${holder.id}/${action}`, { method: 'POST', token: deputyToken }),
          403,
        );
      }
      expectErrorBody(
        await request(baseUrl, `${API}/users/${holder.id}/sessions`, { method: 'DELETE', token: deputyToken }),
        403,
      );
      expectErrorBody(
        await request(baseUrl, `${API}/users/${holder.id}`, {
          method: 'PATCH',
          token: deputyToken,
          json: { isActive: false },
        }),
        403,
      );
      // A scoped grant counts too: it is still something the deputy could not otherwise do.
      const { user: scoped } = await operator();
      await createGrant(baseUrl, adminToken, {
        userId: scoped.id,
        permission: Permission.AgentsManage,
        resourceType: 'agent',
        resourceId: 'agent-x',
      });
      expectErrorBody(
        await request(baseUrl, `${API}/users/${scoped.id}/reset-password`, { method: 'POST', token: deputyToken }),
        403,
      );
      const { user: peer } = await operator();
      expect(
        (await request(baseUrl, `${API}/users/${peer.id}/reset-password`, { method: 'POST', token: deputyToken }))
          .status,
      ).toBe(200);
    });

    it('lets only an ADMIN grant users:manage', async () => {
      const { user } = await operator();
      const granted = await grantAs(adminToken, { userId: user.id, permission: Permission.UsersManage });
      expect(granted.status).toBe(201);
    });
  });
});
