import { DataSource } from 'typeorm';
import { Permission } from '../../src/rbac/permission';
import { expectErrorBody, type HttpResult, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, type TestUser, tokenFor } from '../support/users';
import { API, createGrant } from './rbac-fixtures';

/**
 * The last active ADMIN stays one. Each test starts from a known set of
 * active admins: every other ADMIN (the initial `admin` included) is
 * deactivated first, straight in the database.
 */
describe('users: the last active ADMIN', () => {
  let testApp: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    baseUrl = testApp.baseUrl;
  });
  afterAll(() => testApp.close());

  async function exactlyTheseAdmins(count: number): Promise<{ user: TestUser; token: string }[]> {
    await testApp.app.get(DataSource).query(`UPDATE users SET is_active = false WHERE role = 'ADMIN'`);
    const admins = [];
    for (let index = 0; index < count; index += 1) {
      const user = await createUser(testApp.app, { role: 'ADMIN' });
      admins.push({ user, token: await tokenFor(baseUrl, user) });
    }
    return admins;
  }

  async function activeAdminIds(): Promise<string[]> {
    const rows = await testApp.app
      .get(DataSource)
      .query<{ id: string }[]>(`SELECT id FROM users WHERE role = 'ADMIN' AND is_active`);
    return rows.map((row) => row.id).sort();
  }

  const patch = (token: string, id: string, json: Record<string, unknown>) =>
    request(baseUrl, `${API}/users/${id}`, { method: 'PATCH', token, json });
  const remove = (token: string, id: string) => request(baseUrl, `${API}/users/${id}`, { method: 'DELETE', token });

  it('cannot be demoted or deactivated, even by themselves', async () => {
    const [only] = await exactlyTheseAdmins(1);
    expectErrorBody(await patch(only.token, only.user.id, { role: 'OPERATOR' }), 409);
    expectErrorBody(await patch(only.token, only.user.id, { isActive: false }), 409);
    expectErrorBody(await patch(only.token, only.user.id, { role: 'AUDITOR', isActive: false }), 409);
    expectErrorBody(await remove(only.token, only.user.id), 409);
    expect(await activeAdminIds()).toEqual([only.user.id]);
    // Their session is untouched by the refusals.
    expect((await request(baseUrl, `${API}/users`, { token: only.token })).status).toBe(200);
  });

  it('can still be edited in ways that keep them an active ADMIN', async () => {
    const [only] = await exactlyTheseAdmins(1);
    const changed = await patch(only.token, only.user.id, { displayName: 'Still here', role: 'ADMIN', isActive: true });
    expect(changed.status).toBe(200);
    expect(await activeAdminIds()).toEqual([only.user.id]);
  });

  it('can be demoted, deactivated or deleted while another active ADMIN remains', async () => {
    const [first, second, third] = await exactlyTheseAdmins(3);
    expect((await patch(first.token, second.user.id, { role: 'OPERATOR' })).status).toBe(200);
    expect((await patch(first.token, third.user.id, { isActive: false })).status).toBe(200);
    expect(await activeAdminIds()).toEqual([first.user.id]);
    expectErrorBody(await patch(first.token, first.user.id, { role: 'OPERATOR' }), 409);
    // An inactive ADMIN is not the last active one: deleting it is fine.
    expect((await remove(first.token, third.user.id)).status).toBe(204);
  });

  it('cannot be deactivated by a non-admin holding users:manage', async () => {
    const [only] = await exactlyTheseAdmins(1);
    const deputy = await createUser(testApp.app, { role: 'OPERATOR' });
    await createGrant(baseUrl, only.token, { userId: deputy.id, permission: Permission.UsersManage });
    const deputyToken = await tokenFor(baseUrl, deputy);
    expectErrorBody(await patch(deputyToken, only.user.id, { isActive: false }), 403);
    expectErrorBody(await remove(deputyToken, only.user.id), 403);
    expect(await activeAdminIds()).toEqual([only.user.id]);
  });

  /** One of two racing requests must win; the other is refused cleanly (never a 500). */
  function expectOneWinner(results: HttpResult[], success: number): void {
    const statuses = results.map((result) => result.status).sort();
    expect(statuses.filter((status) => status === success)).toHaveLength(1);
    const loser = results.find((result) => result.status !== success)!;
    // 409 when the loser's check ran after the winner's commit; 401 when its session had already been ended.
    expect([409, 401]).toContain(loser.status);
    expectErrorBody(loser, loser.status);
  }

  it('survives two ADMINs demoting each other at the same time: exactly one wins', async () => {
    for (let round = 0; round < 3; round += 1) {
      const [a, b] = await exactlyTheseAdmins(2);
      const results = await Promise.all([
        patch(a.token, b.user.id, { role: 'OPERATOR' }),
        patch(b.token, a.user.id, { role: 'OPERATOR' }),
      ]);
      expectOneWinner(results, 200);
      const remaining = await activeAdminIds();
      expect(remaining).toHaveLength(1);
      expect([a.user.id, b.user.id]).toContain(remaining[0]);
    }
  });

  it('survives two ADMINs deactivating each other at the same time: exactly one wins', async () => {
    for (let round = 0; round < 3; round += 1) {
      const [a, b] = await exactlyTheseAdmins(2);
      const results = await Promise.all([
        patch(a.token, b.user.id, { isActive: false }),
        patch(b.token, a.user.id, { isActive: false }),
      ]);
      expectOneWinner(results, 200);
      expect(await activeAdminIds()).toHaveLength(1);
    }
  });

  it('survives two ADMINs deleting each other at the same time: exactly one wins', async () => {
    for (let round = 0; round < 3; round += 1) {
      const [a, b] = await exactlyTheseAdmins(2);
      const results = await Promise.all([remove(a.token, b.user.id), remove(b.token, a.user.id)]);
      expectOneWinner(results, 204);
      expect(await activeAdminIds()).toHaveLength(1);
    }
  });
});
