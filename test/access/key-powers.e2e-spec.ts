import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, login, strongPassword, tokenFor, type TestUser } from '../support/users';
import { waitUntil } from '../support/wait';

const API = '/api/v1';

interface IssuedKey {
  id: string;
  key: string;
}

/** What keys may do: they never manage accounts, and only owners rotate them (issue 11, point 2). */
describe('access: what API keys may do', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let admin: TestUser;
  let adminToken: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    baseUrl = testApp.baseUrl;
    admin = await createUser(testApp.app, { role: Role.Admin });
  });
  afterAll(() => testApp.close());
  beforeEach(async () => {
    adminToken = await tokenFor(baseUrl, admin);
  });

  async function issue(token: string, body: Record<string, unknown> = {}): Promise<IssuedKey> {
    const result = await request<IssuedKey>(baseUrl, `${API}/api-keys`, {
      method: 'POST',
      token,
      json: { name: `k-${randomUUID()}`, ...body },
    });
    expect(result.status).toBe(201);
    return result.body;
  }

  function withKey(key: string, options: { method?: string; json?: unknown } = {}) {
    return { ...options, headers: { 'x-api-key': key } };
  }

  describe("an ADMIN's unrestricted key", () => {
    let key: string;
    beforeAll(async () => {
      key = (await issue(await tokenFor(baseUrl, admin))).key;
    });

    it('cannot create an ADMIN user', async () => {
      const username = `intruder_${randomUUID().slice(0, 8)}`;
      const result = await request(
        baseUrl,
        `${API}/users`,
        withKey(key, {
          method: 'POST',
          json: { username, email: `${username}@example.test`, role: Role.Admin, password: strongPassword() },
        }),
      );
      expectErrorBody(result, 403, 'SESSION_REQUIRED');
      expect((await login(baseUrl, { username, password: 'x' })).status).toBe(401);
    });

    it("cannot reset its owner's password, and the owner's password still works", async () => {
      const result = await request(
        baseUrl,
        `${API}/users/${admin.id}/reset-password`,
        withKey(key, { method: 'POST' }),
      );
      expectErrorBody(result, 403, 'SESSION_REQUIRED');
      expect(JSON.stringify(result.body)).not.toMatch(/temporaryPassword/);
      expect((await login(baseUrl, admin)).status).toBe(200);
    });

    it('cannot change grants, nor read them', async () => {
      const operator = await createUser(testApp.app, { role: Role.Operator });
      const grant = await request(
        baseUrl,
        `${API}/rbac/grants`,
        withKey(key, { method: 'POST', json: { userId: operator.id, permission: 'users:manage' } }),
      );
      expectErrorBody(grant, 403, 'SESSION_REQUIRED');
      expectErrorBody(await request(baseUrl, `${API}/rbac/grants`, withKey(key)), 403, 'SESSION_REQUIRED');
      expectErrorBody(
        await request(baseUrl, `${API}/rbac/grants/${randomUUID()}`, withKey(key, { method: 'DELETE' })),
        403,
        'SESSION_REQUIRED',
      );
    });

    it('is refused on any route needing a *:manage permission, though its owner holds it', async () => {
      expectErrorBody(
        await request(baseUrl, `${API}/agents`, withKey(key, { method: 'POST', json: { name: `a-${randomUUID()}` } })),
        403,
        'API_KEY_SCOPE',
      );
      expect((await request(baseUrl, `${API}/agents`, withKey(key))).status).toBe(200);
    });
  });

  it('a key that lists a permission works only on that', async () => {
    const { key } = await issue(adminToken, { permissions: ['agents:read', 'agents:manage'] });
    expect(
      (await request(baseUrl, `${API}/agents`, withKey(key, { method: 'POST', json: { name: `a-${randomUUID()}` } })))
        .status,
    ).toBe(201);
    expect((await request(baseUrl, `${API}/agents`, withKey(key))).status).toBe(200);
    expectErrorBody(await request(baseUrl, `${API}/audit-logs`, withKey(key)), 403, 'API_KEY_SCOPE');
    expectErrorBody(await request(baseUrl, `${API}/proposals`, withKey(key)), 403, 'API_KEY_SCOPE');
    // Even listing users:manage gives a key no way into account management.
    const manager = await issue(adminToken, { permissions: ['users:manage'] });
    expectErrorBody(await request(baseUrl, `${API}/users`, withKey(manager.key)), 403, 'SESSION_REQUIRED');
  });

  describe('a deputy (an OPERATOR granted users:manage)', () => {
    let deputyToken: string;
    let operator: TestUser;
    let operatorToken: string;
    let adminKey: IssuedKey;
    let operatorKey: IssuedKey;

    beforeAll(async () => {
      const deputy = await createUser(testApp.app, { role: Role.Operator });
      operator = await createUser(testApp.app, { role: Role.Operator });
      const token = await tokenFor(baseUrl, admin);
      const grant = await request(baseUrl, `${API}/rbac/grants`, {
        method: 'POST',
        token,
        json: { userId: deputy.id, permission: 'users:manage' },
      });
      expect(grant.status).toBe(201);
      deputyToken = await tokenFor(baseUrl, deputy);
      operatorToken = await tokenFor(baseUrl, operator);
      adminKey = await issue(token);
      operatorKey = await issue(operatorToken);
    });

    it("cannot list an ADMIN's keys, but can an OPERATOR's", async () => {
      expectErrorBody(
        await request(baseUrl, `${API}/api-keys?ownerId=${admin.id}`, { token: deputyToken }),
        403,
        'API_KEY_OTHERS_FORBIDDEN',
      );
      const listed = await request<{ items: { id: string }[] }>(baseUrl, `${API}/api-keys?ownerId=${operator.id}`, {
        token: deputyToken,
      });
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((item) => item.id)).toContain(operatorKey.id);
    });

    it("cannot rotate an ADMIN's key (not found), nor an OPERATOR's (only the owner rotates)", async () => {
      const onAdmin = await request(baseUrl, `${API}/api-keys/${adminKey.id}/rotate`, {
        method: 'POST',
        token: deputyToken,
        json: {},
      });
      expectErrorBody(onAdmin, 404, 'API_KEY_NOT_FOUND');
      const onOperator = await request(baseUrl, `${API}/api-keys/${operatorKey.id}/rotate`, {
        method: 'POST',
        token: deputyToken,
        json: {},
      });
      expectErrorBody(onOperator, 403, 'API_KEY_OWNER_ONLY');
      expect(JSON.stringify(onOperator.body)).not.toMatch(/snt_/);
      // The ADMIN's key still works as it did.
      expect((await request(baseUrl, `${API}/auth/me`, withKey(adminKey.key))).status).toBe(200);
    });

    it("cannot revoke an ADMIN's key, but can an OPERATOR's", async () => {
      expectErrorBody(
        await request(baseUrl, `${API}/api-keys/${adminKey.id}`, { method: 'DELETE', token: deputyToken }),
        404,
        'API_KEY_NOT_FOUND',
      );
      expect((await request(baseUrl, `${API}/auth/me`, withKey(adminKey.key))).status).toBe(200);
      const victim = await issue(operatorToken);
      expect(
        (await request(baseUrl, `${API}/api-keys/${victim.id}`, { method: 'DELETE', token: deputyToken })).status,
      ).toBe(204);
      expectErrorBody(await request(baseUrl, `${API}/auth/me`, withKey(victim.key)), 401);
    });

    it("cannot see an ADMIN's sessions (ips, user agents), but can an OPERATOR's", async () => {
      await tokenFor(baseUrl, admin);
      const onAdmin = await request(baseUrl, `${API}/users/${admin.id}/sessions`, { token: deputyToken });
      expectErrorBody(onAdmin, 403, 'ADMIN_ONLY');
      const onOperator = await request<unknown[]>(baseUrl, `${API}/users/${operator.id}/sessions`, {
        token: deputyToken,
      });
      expect(onOperator.status).toBe(200);
      expect(onOperator.body.length).toBeGreaterThan(0);
    });
  });

  it('only the owner rotates a key and receives its secret; an ADMIN is refused on another’s key', async () => {
    const owner = await createUser(testApp.app, { role: Role.Operator });
    const ownerToken = await tokenFor(baseUrl, owner);
    const key = await issue(ownerToken);
    const byAdmin = await request(baseUrl, `${API}/api-keys/${key.id}/rotate`, {
      method: 'POST',
      token: adminToken,
      json: {},
    });
    expectErrorBody(byAdmin, 403, 'API_KEY_OWNER_ONLY');
    const byOwner = await request<IssuedKey>(baseUrl, `${API}/api-keys/${key.id}/rotate`, {
      method: 'POST',
      token: ownerToken,
      json: { graceMinutes: 0 },
    });
    expect(byOwner.status).toBe(200);
    expect(byOwner.body.key).toMatch(/^snt_/);
    expect((await request(baseUrl, `${API}/auth/me`, withKey(byOwner.body.key))).status).toBe(200);
    // The ADMIN may still revoke it.
    expect((await request(baseUrl, `${API}/api-keys/${key.id}`, { method: 'DELETE', token: adminToken })).status).toBe(
      204,
    );
  });

  it('of two rotations that read the key at once, exactly one wins; the other is a 409 and the winner’s secret works', async () => {
    const key = await issue(adminToken);
    const dataSource = testApp.app.get(DataSource);
    // Holding the row makes both rotations read the same secret before either can write: a real race, every run.
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query('SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE', [key.id]);
    const rotations = Array.from({ length: 2 }, () =>
      request<IssuedKey>(baseUrl, `${API}/api-keys/${key.id}/rotate`, {
        method: 'POST',
        token: adminToken,
        json: { graceMinutes: 0 },
      }),
    );
    await waitUntil(async () => {
      const [row] = await dataSource.query<{ waiting: number }[]>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query ILIKE 'UPDATE "api_keys"%'`,
      );
      return row.waiting === 2;
    });
    await holder.rollbackTransaction();
    await holder.release();
    const results = await Promise.all(rotations);
    const won = results.filter((result) => result.status === 200);
    expect(won).toHaveLength(1);
    const lost = results.filter((result) => result.status !== 200);
    expect(lost).toHaveLength(1);
    expectErrorBody(lost[0], 409, 'API_KEY_ROTATION_CONFLICT');
    expect((await request(baseUrl, `${API}/auth/me`, withKey(won[0].body.key))).status).toBe(200);
  });
});
