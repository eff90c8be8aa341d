import { DataSource } from 'typeorm';
import { Role } from '../../src/rbac/role';
import { recordEvents, type EventRecorder } from '../support/events';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';
import { waitUntil } from '../support/wait';
import { type SecretDetail, type SecretMetadata, secretPath, type SecretValue } from './secrets-support';

describe('secrets (KV)', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let sql: DataSource;
  let admin: string;
  let operator: string;
  let events: EventRecorder;

  beforeAll(async () => {
    testApp = await createTestApp({ SECRETS_MAX_VERSIONS: '3' });
    baseUrl = testApp.baseUrl;
    sql = testApp.app.get(DataSource);
    admin = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
    operator = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Operator }));
    events = recordEvents(testApp.app, 'secret');
  });
  afterAll(async () => {
    events.stop();
    await testApp.close();
  });

  async function create(body: Record<string, unknown>): Promise<SecretMetadata> {
    const result = await request<SecretMetadata>(baseUrl, '/api/v1/secrets', {
      method: 'POST',
      token: admin,
      json: body,
    });
    expect(result.status).toBe(201);
    return result.body;
  }

  const readValue = (name: string, version?: number, token = admin) =>
    request<SecretValue>(baseUrl, secretPath(name, `/value${version ? `?version=${version}` : ''}`), { token });

  const write = (name: string, json: Record<string, unknown>) =>
    request<SecretMetadata>(baseUrl, secretPath(name), { method: 'PUT', token: admin, json });

  it('refuses callers without a session (401) and without secrets permissions (403)', async () => {
    await create({ name: 'guarded/one', type: 'generic', value: 'guarded-value-1' });
    expectErrorBody(await request(baseUrl, '/api/v1/secrets'), 401);
    expectErrorBody(await request(baseUrl, secretPath('guarded/one', '/value')), 401);
    expectErrorBody(await request(baseUrl, '/api/v1/secrets', { token: operator }), 403);
    expectErrorBody(await readValue('guarded/one', undefined, operator), 403);
    expectErrorBody(await write('guarded/one', { value: 'x' }).then(() => readValue('guarded/one', 2, operator)), 403);
    const created = await request(baseUrl, '/api/v1/secrets', {
      method: 'POST',
      token: operator,
      json: { name: 'guarded/two', type: 'token' },
    });
    expectErrorBody(created, 403);
    expectErrorBody(await request(baseUrl, secretPath('guarded/one'), { method: 'DELETE', token: operator }), 403);
  });

  it('creates a secret with a generated value for generatable types, and refuses to guess an api_key', async () => {
    const secret = await create({
      name: 'team/service/db-password',
      type: 'password',
      metadata: { owner: 'payments' },
    });
    expect(secret).toMatchObject({
      name: 'team/service/db-password',
      type: 'password',
      currentVersion: 1,
      encryptionAlgorithm: 'AES-256-GCM',
      rotationIntervalDays: 30,
      isActive: true,
      generatable: true,
      metadata: { owner: 'payments' },
    });
    expect(JSON.stringify(secret)).not.toMatch(/"value"/);
    const value = await readValue('team/service/db-password');
    expect(value.status).toBe(200);
    expect(value.body).toMatchObject({ name: 'team/service/db-password', version: 1 });
    expect(value.body.value).toHaveLength(32);

    const noValue = await request(baseUrl, '/api/v1/secrets', {
      method: 'POST',
      token: admin,
      json: { name: 'team/service/stripe', type: 'api_key' },
    });
    expectErrorBody(noValue, 400, 'SECRET_VALUE_REQUIRED');
    const duplicate = await request(baseUrl, '/api/v1/secrets', {
      method: 'POST',
      token: admin,
      json: { name: 'team/service/db-password', type: 'password' },
    });
    expectErrorBody(duplicate, 409, 'SECRET_NAME_TAKEN');
    const badName = await request(baseUrl, '/api/v1/secrets', {
      method: 'POST',
      token: admin,
      json: { name: '../etc/passwd', type: 'token' },
    });
    expectErrorBody(badName, 400);
  });

  it('lists by prefix with metadata only, and describes versions without values', async () => {
    await create({ name: 'listing/a', type: 'generic', value: 'listing-value-aaa' });
    await create({ name: 'listing/b', type: 'generic', value: 'listing-value-bbb' });
    await create({ name: 'other/c', type: 'generic', value: 'listing-value-ccc' });
    const listed = await request<{ items: SecretMetadata[]; total: number }>(
      baseUrl,
      '/api/v1/secrets?prefix=listing/',
      {
        token: admin,
      },
    );
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item) => item.name)).toEqual(['listing/a', 'listing/b']);
    expect(JSON.stringify(listed.body)).not.toContain('listing-value');
    const detail = await request<SecretDetail>(baseUrl, secretPath('listing/a'), { token: admin });
    expect(detail.body.versions).toEqual([expect.objectContaining({ version: 1, origin: 'create', destroyed: false })]);
    expect(JSON.stringify(detail.body)).not.toContain('listing-value');
    // Listing and describing are not reads of a value.
    expect(events.payloads('secret.read', { name: 'listing/a' })).toHaveLength(0);
  });

  it('audits every value read with who, which version and from where', async () => {
    const secret = await create({ name: 'audited/read', type: 'generic', value: 'audited-value-1' });
    expect((await write('audited/read', { value: 'audited-value-2', cas: 1 })).status).toBe(200);
    expect((await readValue('audited/read', 1)).body.value).toBe('audited-value-1');
    type Row = { user_id: string | null; ip_address: string; action_details: { version: number } };
    let rows: Row[] = [];
    await waitUntil(async () => {
      rows = await sql.query<Row[]>(
        `SELECT user_id, host(ip_address) AS ip_address, action_details FROM audit_logs
          WHERE action_type = 'secret.read' AND resource_id = $1`,
        [secret.id],
      );
      return rows.length === 1;
    });
    expect(rows[0].action_details).toMatchObject({ name: 'audited/read', version: 1 });
    expect(rows[0].user_id).toEqual(expect.any(String));
    expect(rows[0].ip_address).toBe('127.0.0.1');
    const stored = await sql.query<{ text: string }[]>(`SELECT action_details::text AS text FROM audit_logs`);
    expect(stored.map((row) => row.text).join('\n')).not.toContain('audited-value');
  });

  it('writes with the right cas, refuses a stale one (409) and requires cas where the secret says so', async () => {
    await create({ name: 'cas/plain', type: 'generic', value: 'cas-v1' });
    const right = await write('cas/plain', { value: 'cas-v2', cas: 1 });
    expect(right.status).toBe(200);
    expect(right.body.currentVersion).toBe(2);
    expectErrorBody(await write('cas/plain', { value: 'cas-stale', cas: 1 }), 409, 'SECRET_CAS_MISMATCH');
    expect((await readValue('cas/plain')).body).toMatchObject({ version: 2, value: 'cas-v2' });
    // Without cas, a secret that does not require it takes the write.
    expect((await write('cas/plain', { value: 'cas-v3' })).body.currentVersion).toBe(3);

    await create({ name: 'cas/required', type: 'generic', value: 'req-v1', casRequired: true });
    expectErrorBody(await write('cas/required', { value: 'req-v2' }), 400, 'SECRET_CAS_REQUIRED');
    expect((await write('cas/required', { value: 'req-v2', cas: 1 })).status).toBe(200);
    expectErrorBody(await write('missing/secret', { value: 'x' }), 404, 'SECRET_NOT_FOUND');
  });

  it('rotates generatable secrets, keeps old versions readable, and records the history', async () => {
    await create({ name: 'rotate/token', type: 'token' });
    const first = (await readValue('rotate/token')).body.value;
    const rotated = await request<SecretMetadata>(baseUrl, secretPath('rotate/token', '/rotate'), {
      method: 'POST',
      token: admin,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.currentVersion).toBe(2);
    const second = (await readValue('rotate/token')).body;
    expect(second.version).toBe(2);
    expect(second.value).not.toBe(first);
    expect((await readValue('rotate/token', 1)).body.value).toBe(first);
    const detail = await request<SecretDetail>(baseUrl, secretPath('rotate/token'), { token: admin });
    expect(detail.body.rotations).toEqual([
      expect.objectContaining({ fromVersion: 1, toVersion: 2, trigger: 'manual', rotatedBy: expect.any(String) }),
    ]);
    expect(events.payloads('secret.rotated', { name: 'rotate/token' })).toEqual([
      expect.objectContaining({ version: 2, fromVersion: 1, trigger: 'manual' }),
    ]);

    await create({ name: 'rotate/outside', type: 'api_key', value: 'provider-key-1' });
    const refused = await request(baseUrl, secretPath('rotate/outside', '/rotate'), { method: 'POST', token: admin });
    expectErrorBody(refused, 409, 'SECRET_NOT_GENERATABLE');
  });

  it('keeps SECRETS_MAX_VERSIONS versions and prunes older ones', async () => {
    await create({ name: 'prune/me', type: 'generic', value: 'prune-1' });
    for (const value of ['prune-2', 'prune-3', 'prune-4'])
      expect((await write('prune/me', { value })).status).toBe(200);
    expectErrorBody(await readValue('prune/me', 1), 404, 'SECRET_VERSION_NOT_FOUND');
    expect((await readValue('prune/me', 2)).body.value).toBe('prune-2');
    const detail = await request<SecretDetail>(baseUrl, secretPath('prune/me'), { token: admin });
    expect(detail.body.versions.map((version) => version.version)).toEqual([2, 3, 4]);
  });

  it('soft-deletes, undeletes and destroys versions', async () => {
    await create({ name: 'lifecycle/x', type: 'generic', value: 'life-1' });
    await write('lifecycle/x', { value: 'life-2' });
    const action = (version: number, verb: string) =>
      request<SecretDetail>(baseUrl, secretPath('lifecycle/x', `/versions/${version}/${verb}`), {
        method: 'POST',
        token: admin,
      });
    const deleted = await action(1, 'delete');
    expect(deleted.status).toBe(200);
    expect(deleted.body.versions[0].deletedAt).toEqual(expect.any(String));
    expectErrorBody(await readValue('lifecycle/x', 1), 404, 'SECRET_VERSION_DELETED');
    expect((await action(1, 'undelete')).status).toBe(200);
    expect((await readValue('lifecycle/x', 1)).body.value).toBe('life-1');
    const destroyed = await action(1, 'destroy');
    expect(destroyed.body.versions[0]).toMatchObject({ version: 1, destroyed: true });
    expectErrorBody(await readValue('lifecycle/x', 1), 410, 'SECRET_VERSION_DESTROYED');
    expectErrorBody(await action(1, 'undelete'), 410, 'SECRET_VERSION_DESTROYED');
    const [row] = await sql.query<{ ciphertext: Buffer | null }[]>(
      `SELECT v.ciphertext FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = $1 AND v.version = 1`,
      ['lifecycle/x'],
    );
    expect(row.ciphertext).toBeNull();
    expect((await readValue('lifecycle/x', 2)).body.value).toBe('life-2');
    expectErrorBody(await action(9, 'delete'), 404, 'SECRET_VERSION_NOT_FOUND');
    expectErrorBody(await action(Number.NaN, 'delete'), 400);
  });

  it('deactivates a secret (no more reads or writes) and deletes one with all its versions', async () => {
    await create({ name: 'retire/me', type: 'token' });
    const deactivated = await request<SecretMetadata>(baseUrl, secretPath('retire/me', '/deactivate'), {
      method: 'POST',
      token: admin,
    });
    expect(deactivated.body.isActive).toBe(false);
    expectErrorBody(await readValue('retire/me'), 409, 'SECRET_INACTIVE');
    expectErrorBody(await write('retire/me', { value: 'x' }), 409, 'SECRET_INACTIVE');
    const removed = await request(baseUrl, secretPath('retire/me'), { method: 'DELETE', token: admin });
    expect(removed.status).toBe(204);
    expectErrorBody(await request(baseUrl, secretPath('retire/me'), { token: admin }), 404, 'SECRET_NOT_FOUND');
    const [{ count }] = await sql.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM secret_versions v LEFT JOIN secrets s ON s.id = v.secret_id WHERE s.id IS NULL`,
    );
    expect(count).toBe(0);
  });

  it('refuses a tampered ciphertext or wrapped data key with a clear error, never a 500', async () => {
    const value = await create({ name: 'tamper/value', type: 'generic', value: 'tamper-value' });
    await sql.query(
      `UPDATE secret_versions SET ciphertext = set_byte(ciphertext, 20, get_byte(ciphertext, 20) # 1) WHERE secret_id = $1`,
      [value.id],
    );
    const tamperedValue = await readValue('tamper/value');
    expectErrorBody(tamperedValue, 422, 'SECRET_INTEGRITY_FAILED');
    expect(JSON.stringify(tamperedValue.body)).not.toContain('tamper-value');

    const key = await create({ name: 'tamper/key', type: 'generic', value: 'tamper-key-value' });
    await sql.query(
      `UPDATE secrets SET data_key_wrapped = set_byte(data_key_wrapped, 30, get_byte(data_key_wrapped, 30) # 1) WHERE id = $1`,
      [key.id],
    );
    expectErrorBody(await readValue('tamper/key'), 422, 'SECRET_INTEGRITY_FAILED');
    expectErrorBody(await write('tamper/key', { value: 'more' }), 422, 'SECRET_INTEGRITY_FAILED');
    // A value moved to another version no longer verifies (the version is associated data).
    const moved = await create({ name: 'tamper/moved', type: 'generic', value: 'moved-value' });
    await sql.query(`UPDATE secret_versions SET version = 7 WHERE secret_id = $1`, [moved.id]);
    expectErrorBody(await readValue('tamper/moved', 7), 422, 'SECRET_INTEGRITY_FAILED');
    expect(events.payloads('secret.integrity-failed').length).toBeGreaterThanOrEqual(2);
  });

  it('stores no value in the clear and no master key in the database', async () => {
    await create({ name: 'atrest/check', type: 'generic', value: 'plain-at-rest-marker' });
    const dump = await sql.query<{ text: string }[]>(
      `SELECT concat_ws(' ', encode(s.data_key_wrapped, 'escape'), encode(v.ciphertext, 'escape'), s.metadata::text) AS text
         FROM secrets s JOIN secret_versions v ON v.secret_id = s.id`,
    );
    expect(dump.map((row) => row.text).join('\n')).not.toContain('plain-at-rest-marker');
    const masterKey = Buffer.alloc(32, 9);
    const [{ found }] = await sql.query<{ found: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM secrets WHERE position($1::bytea IN data_key_wrapped) > 0) AS found`,
      [masterKey],
    );
    expect(found).toBe(false);
  });

  it('lets an API key in only with the secrets permission listed on the key', async () => {
    await create({ name: 'keys/visible', type: 'generic', value: 'key-visible-value' });
    const issue = (permissions?: string[]) =>
      request<{ key: string }>(baseUrl, '/api/v1/api-keys', {
        method: 'POST',
        token: admin,
        json: { name: `k-${permissions?.join('-') ?? 'all'}`, permissions },
      });
    const unlisted = (await issue()).body.key;
    const listed = (await issue(['secrets:read'])).body.key;
    const withKey = (key: string) => ({ headers: { 'x-api-key': key } });
    expectErrorBody(
      await request(baseUrl, secretPath('keys/visible', '/value'), withKey(unlisted)),
      403,
      'API_KEY_SCOPE',
    );
    const read = await request<SecretValue>(baseUrl, secretPath('keys/visible', '/value'), withKey(listed));
    expect(read.status).toBe(200);
    expect(read.body.value).toBe('key-visible-value');
    const writeWithReadKey = await request(baseUrl, secretPath('keys/visible'), {
      method: 'PUT',
      json: { value: 'nope' },
      ...withKey(listed),
    });
    expectErrorBody(writeWithReadKey, 403);
  });
});
