import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { ApiKeyUsageTracker } from '../../src/api-keys/api-key-usage.tracker';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, tokenFor, type TestUser } from '../support/users';

interface IssuedKey {
  id: string;
  key: string;
  name: string;
  permissions: string[] | null;
  expiresAt: string;
}

interface KeyListing {
  items: Record<string, unknown>[];
  total: number;
}

/** The secret part of snt_<public id>_<secret>; the secret itself may contain '_'. */
function secretOf(key: string): string {
  return key.split('_').slice(2).join('_');
}

describe('API keys', () => {
  const clock = new TestClock(new Date('2026-06-01T12:00:00Z'));
  let testApp: TestApp;
  let baseUrl: string;
  let admin: TestUser;
  let adminToken: string;
  const events: { name: string; payload: unknown }[] = [];

  beforeAll(async () => {
    // The longest flush interval, so the periodic flush cannot land inside the
    // usage test and write the counts it checks are not yet written.
    testApp = await createTestApp({ API_KEY_USAGE_FLUSH_SECONDS: '300' }, { clock });
    baseUrl = testApp.baseUrl;
    admin = await createUser(testApp.app, { role: Role.Admin });
    testApp.app.get(EventEmitter2).onAny((name: string | string[], payload: unknown) => {
      events.push({ name: String(name), payload });
    });
  });
  afterAll(() => testApp.close());
  // Tests move the clock by days; a fresh login keeps the admin's session from idling out between them.
  beforeEach(async () => {
    adminToken = await tokenFor(baseUrl, admin);
  });

  async function issue(token: string, body: Record<string, unknown>): Promise<IssuedKey> {
    const result = await request<IssuedKey>(baseUrl, '/api/v1/api-keys', { method: 'POST', token, json: body });
    expect(result.status).toBe(201);
    return result.body;
  }

  function withKey(key: string): { headers: Record<string, string> } {
    return { headers: { 'x-api-key': key } };
  }

  it('issues a recognisable key, shown once, expiring after the default 90 days', async () => {
    const issued = await issue(adminToken, { name: 'ci' });
    expect(issued.key).toMatch(/^snt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(issued.permissions).toBeNull();
    expect(new Date(issued.expiresAt).getTime()).toBe(clock.now().getTime() + 90 * 86_400_000);

    const listing = await request<KeyListing>(baseUrl, '/api/v1/api-keys', { token: adminToken });
    const serialized = JSON.stringify(listing.body);
    expect(serialized).toContain(issued.id);
    expect(serialized).not.toContain(secretOf(issued.key));
    expect(serialized).not.toMatch(/secret|hash/i);
  });

  it('stores only a hash of the secret', async () => {
    const issued = await issue(adminToken, { name: 'stored' });
    const secret = secretOf(issued.key);
    const [row] = await testApp.app
      .get(DataSource)
      .query<Record<string, unknown>[]>('SELECT * FROM api_keys WHERE id = $1', [issued.id]);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an expiry beyond API_KEY_MAX_TTL_DAYS and invalid bodies', async () => {
    const tooLong = await request(baseUrl, '/api/v1/api-keys', {
      method: 'POST',
      token: adminToken,
      json: { name: 'x', expiresInDays: 400 },
    });
    expectErrorBody(tooLong, 400);
    const unknownPermission = await request(baseUrl, '/api/v1/api-keys', {
      method: 'POST',
      token: adminToken,
      json: { name: 'x', permissions: ['everything:all'] },
    });
    expectErrorBody(unknownPermission, 400);
  });

  it('acts as its owner through X-API-Key and Authorization: ApiKey', async () => {
    const { key } = await issue(adminToken, { name: 'both-headers' });
    const viaHeader = await request<{ username: string }>(baseUrl, '/api/v1/auth/me', withKey(key));
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body.username).toBe(admin.username);
    const viaAuthorization = await request(baseUrl, '/api/v1/agents', { headers: { authorization: `ApiKey ${key}` } });
    expect(viaAuthorization.status).toBe(200);
  });

  it('limits a key to its own permissions', async () => {
    const { key } = await issue(adminToken, { name: 'read-only', permissions: ['agents:read'] });
    expect((await request(baseUrl, '/api/v1/agents', withKey(key))).status).toBe(200);
    const create = await request(baseUrl, '/api/v1/agents', {
      method: 'POST',
      json: { name: 'via-key' },
      ...withKey(key),
    });
    expectErrorBody(create, 403);
    expectErrorBody(await request(baseUrl, '/api/v1/users', withKey(key)), 403);
  });

  it('never outgrows its owner: no permission the owner lacks at issue time or later', async () => {
    const operator = await createUser(testApp.app, { role: Role.Operator });
    const operatorToken = await tokenFor(baseUrl, operator);
    const excessive = await request(baseUrl, '/api/v1/api-keys', {
      method: 'POST',
      token: operatorToken,
      json: { name: 'too-much', permissions: ['agents:read', 'users:manage'] },
    });
    expectErrorBody(excessive, 403);

    const { key } = await issue(operatorToken, { name: 'inherits' });
    expect((await request(baseUrl, '/api/v1/agents', withKey(key))).status).toBe(200);
    expectErrorBody(
      await request(baseUrl, '/api/v1/agents', { method: 'POST', json: { name: 'nope' }, ...withKey(key) }),
      403,
    );

    const manager = await createUser(testApp.app, { role: Role.Admin });
    // A key exercises a *:manage permission only when it was issued listing it (an unrestricted key never does).
    const managerToken = await tokenFor(baseUrl, manager);
    const managerKey = (await issue(managerToken, { name: 'admin-key', permissions: ['agents:read', 'agents:manage'] }))
      .key;
    const created = await request(baseUrl, '/api/v1/agents', {
      method: 'POST',
      json: { name: 'made-by-admin-key' },
      ...withKey(managerKey),
    });
    expect(created.status).toBe(201);
    await testApp.app.get(DataSource).query(`UPDATE users SET role = 'AUDITOR' WHERE id = $1`, [manager.id]);
    expectErrorBody(
      await request(baseUrl, '/api/v1/agents', {
        method: 'POST',
        json: { name: 'after-demotion' },
        ...withKey(managerKey),
      }),
      403,
    );
    expect((await request(baseUrl, '/api/v1/agents', withKey(managerKey))).status).toBe(200);
  });

  it('stops working at its expiry', async () => {
    const { key } = await issue(adminToken, { name: 'short', expiresInDays: 1 });
    expect((await request(baseUrl, '/api/v1/auth/me', withKey(key))).status).toBe(200);
    clock.advance(86_400_000 + 1000);
    expectErrorBody(await request(baseUrl, '/api/v1/auth/me', withKey(key)), 401);
    expect(events).toContainEqual(
      expect.objectContaining({ name: 'api-key.refused', payload: expect.objectContaining({ reason: 'expired' }) }),
    );
  });

  it('is refused on the very next request once revoked', async () => {
    const issued = await issue(adminToken, { name: 'to-revoke' });
    expect((await request(baseUrl, '/api/v1/auth/me', withKey(issued.key))).status).toBe(200);
    const revoked = await request(baseUrl, `/api/v1/api-keys/${issued.id}`, { method: 'DELETE', token: adminToken });
    expect(revoked.status).toBe(204);
    expectErrorBody(await request(baseUrl, '/api/v1/auth/me', withKey(issued.key)), 401);
    const listing = await request<KeyListing>(baseUrl, '/api/v1/api-keys?limit=100', { token: adminToken });
    expect(listing.body.items.find((item) => item.id === issued.id)?.revokedAt).toEqual(expect.any(String));
  });

  it('rotates without grace: the old secret stops at once, the new one works', async () => {
    const issued = await issue(adminToken, { name: 'rotate-now' });
    const rotated = await request<IssuedKey>(baseUrl, `/api/v1/api-keys/${issued.id}/rotate`, {
      method: 'POST',
      token: adminToken,
      json: {},
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.id).toBe(issued.id);
    expect(rotated.body.key.split('_')[1]).toBe(issued.key.split('_')[1]);
    expect(rotated.body.key).not.toBe(issued.key);
    expectErrorBody(await request(baseUrl, '/api/v1/auth/me', withKey(issued.key)), 401);
    expect((await request(baseUrl, '/api/v1/auth/me', withKey(rotated.body.key))).status).toBe(200);
  });

  it('rotates with a grace period: both secrets work until it ends', async () => {
    const issued = await issue(adminToken, { name: 'rotate-grace' });
    const rotated = await request<IssuedKey>(baseUrl, `/api/v1/api-keys/${issued.id}/rotate`, {
      method: 'POST',
      token: adminToken,
      json: { graceMinutes: 10 },
    });
    expect((await request(baseUrl, '/api/v1/auth/me', withKey(issued.key))).status).toBe(200);
    expect((await request(baseUrl, '/api/v1/auth/me', withKey(rotated.body.key))).status).toBe(200);
    clock.advance(10 * 60_000 + 1000);
    expectErrorBody(await request(baseUrl, '/api/v1/auth/me', withKey(issued.key)), 401);
    expect((await request(baseUrl, '/api/v1/auth/me', withKey(rotated.body.key))).status).toBe(200);
  });

  it('is refused when its owner is deactivated', async () => {
    const owner = await createUser(testApp.app, { role: Role.Operator });
    const { key } = await issue(await tokenFor(baseUrl, owner), { name: 'owner-goes' });
    await testApp.app.get(DataSource).query('UPDATE users SET is_active = false WHERE id = $1', [owner.id]);
    expectErrorBody(await request(baseUrl, '/api/v1/auth/me', withKey(key)), 401);
  });

  it.each([
    ['empty', ''],
    ['prefix only', 'snt_'],
    ['no secret', 'snt_0123456789abcdef'],
    ['short secret', 'snt_0123456789abcdef_short'],
    ['unknown public id', `snt_ffffffffffffffff_${'a'.repeat(43)}`],
    ['upper-case id', `snt_0123456789ABCDEF_${'a'.repeat(43)}`],
    ['not a key at all', 'hello world'],
    ['very long', 'snt_'.padEnd(8000, 'x')],
    ['sql-ish', "snt_' OR 1=1 --"],
  ])('refuses a malformed key (%s) with 401, never 500', async (_label, candidate) => {
    const result = await request(baseUrl, '/api/v1/auth/me', withKey(candidate));
    expectErrorBody(result, 401);
  });

  it('refuses a known public id with a wrong secret, and the event names the id, never the key', async () => {
    const issued = await issue(adminToken, { name: 'guessed' });
    const publicId = issued.key.split('_')[1];
    const guess = `snt_${publicId}_${'b'.repeat(43)}`;
    expectErrorBody(await request(baseUrl, '/api/v1/auth/me', withKey(guess)), 401);
    const rejection = events.filter((event) => event.name === 'api-key.refused').at(-1);
    expect(rejection?.payload).toEqual(expect.objectContaining({ reason: 'bad_secret', publicId, keyId: issued.id }));
    expect(JSON.stringify(events)).not.toContain(secretOf(issued.key));
    expect(JSON.stringify(events)).not.toContain('b'.repeat(43));
  });

  it('tracks use count, last use and ip without a write per request', async () => {
    const issued = await issue(adminToken, { name: 'counted' });
    for (let i = 0; i < 3; i++) {
      expect((await request(baseUrl, '/api/v1/auth/me', withKey(issued.key))).status).toBe(200);
    }
    const before = await testApp.app
      .get(DataSource)
      .query<{ use_count: string }[]>('SELECT use_count FROM api_keys WHERE id = $1', [issued.id]);
    expect(before[0].use_count).toBe('0');
    await testApp.app.get(ApiKeyUsageTracker).flush();
    const listing = await request<KeyListing>(baseUrl, '/api/v1/api-keys?limit=100', { token: adminToken });
    const entry = listing.body.items.find((item) => item.id === issued.id);
    expect(entry).toEqual(
      expect.objectContaining({ useCount: 3, lastUsedIp: '127.0.0.1', lastUsedAt: expect.any(String) }),
    );
  });

  it('cannot manage keys, passwords or sessions', async () => {
    const { key } = await issue(adminToken, { name: 'no-self-minting' });
    expectErrorBody(await request(baseUrl, '/api/v1/api-keys', withKey(key)), 403);
    expectErrorBody(
      await request(baseUrl, '/api/v1/api-keys', { method: 'POST', json: { name: 'child' }, ...withKey(key) }),
      403,
    );
    expectErrorBody(
      await request(baseUrl, '/api/v1/auth/password', {
        method: 'POST',
        json: { currentPassword: admin.password, newPassword: 'Another-strong-Passphrase-9' },
        ...withKey(key),
      }),
      403,
    );
  });

  it('lets only a holder of users:manage list or revoke another user’s keys', async () => {
    const operator = await createUser(testApp.app, { role: Role.Operator });
    const operatorToken = await tokenFor(baseUrl, operator);
    const operatorKey = await issue(operatorToken, { name: 'operator-key' });

    const ownList = await request<KeyListing>(baseUrl, '/api/v1/api-keys', { token: operatorToken });
    expect(ownList.body.items.map((item) => item.id)).toEqual([operatorKey.id]);
    expectErrorBody(await request(baseUrl, `/api/v1/api-keys?ownerId=${admin.id}`, { token: operatorToken }), 403);

    const adminView = await request<KeyListing>(baseUrl, `/api/v1/api-keys?ownerId=${operator.id}`, {
      token: adminToken,
    });
    expect(adminView.body.items.map((item) => item.id)).toEqual([operatorKey.id]);

    const someoneElsesKey = await issue(adminToken, { name: 'admin-only' });
    expectErrorBody(
      await request(baseUrl, `/api/v1/api-keys/${someoneElsesKey.id}`, { method: 'DELETE', token: operatorToken }),
      404,
    );
    expect(
      (await request(baseUrl, `/api/v1/api-keys/${operatorKey.id}`, { method: 'DELETE', token: adminToken })).status,
    ).toBe(204);
    expectErrorBody(await request(baseUrl, '/api/v1/auth/me', withKey(operatorKey.key)), 401);
  });

  it.each([
    ['GET', '/api/v1/api-keys'],
    ['POST', '/api/v1/api-keys'],
    ['DELETE', '/api/v1/api-keys/3f1c7a9e-8a51-4c2b-9d43-6b6f0f1e2a10'],
    ['POST', '/api/v1/api-keys/3f1c7a9e-8a51-4c2b-9d43-6b6f0f1e2a10/rotate'],
  ])('%s %s needs authentication', async (method, path) => {
    expectErrorBody(await request(baseUrl, path, { method, json: method === 'GET' ? undefined : {} }), 401);
  });
});
