import { DataSource } from 'typeorm';
import { Role } from '../../src/rbac/role';
import { auditRows } from '../audit/audit-support';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';

interface Encrypted {
  ciphertext: string;
  keyVersion: number;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('transit (encryption as a service)', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let admin: string;
  let operator: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    baseUrl = testApp.baseUrl;
    admin = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
    operator = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Operator }));
  });
  afterAll(() => testApp.close());

  const call = <T>(path: string, json?: Record<string, unknown>, token = admin) =>
    request<T>(baseUrl, `/api/v1/transit/keys${path}`, { method: json ? 'POST' : 'GET', token, json });

  async function createKey(name: string): Promise<void> {
    expect((await call(``, { name })).status).toBe(201);
  }

  it('refuses callers without a session or the transit permissions', async () => {
    await createKey('guarded');
    expectErrorBody(await request(baseUrl, '/api/v1/transit/keys/guarded/encrypt', { method: 'POST', json: {} }), 401);
    expectErrorBody(await call('/guarded/encrypt', { plaintext: b64('x') }, operator), 403);
    expectErrorBody(await call('/guarded/decrypt', { ciphertext: 'sentinel:v1:AAAA' }, operator), 403);
    expectErrorBody(await call('', { name: 'other' }, operator), 403);
  });

  it('records every encrypt, decrypt and rewrap, refused ones too, without the plaintext', async () => {
    await createKey('recorded');
    const plaintext = b64('recorded plaintext 42');
    const sealed = await call<Encrypted>('/recorded/encrypt', { plaintext });
    expect(sealed.status).toBe(200);
    expect((await call('/recorded/decrypt', { ciphertext: sealed.body.ciphertext })).status).toBe(200);
    expect((await call('/recorded/rewrap', { ciphertext: sealed.body.ciphertext })).status).toBe(200);
    expectErrorBody(
      await call('/recorded/decrypt', { ciphertext: sealed.body.ciphertext, context: b64('another') }),
      400,
      'TRANSIT_INVALID_CIPHERTEXT',
    );
    expectErrorBody(await call('/recorded/decrypt', { ciphertext: sealed.body.ciphertext }, operator), 403);

    const rows = await auditRows(
      testApp.app,
      "action_type IN ('transit.encrypt', 'transit.decrypt', 'transit.rewrap') AND resource_id = 'recorded'",
    );
    expect(rows.map(({ action_type, response_status, success }) => [action_type, response_status, success])).toEqual([
      ['transit.encrypt', 200, true],
      ['transit.decrypt', 200, true],
      ['transit.rewrap', 200, true],
      ['transit.decrypt', 400, false],
      ['transit.decrypt', 403, false],
    ]);
    expect(JSON.stringify(rows)).not.toContain(plaintext);
  });

  it('encrypts, rotates, decrypts every version, rewraps to the newest, and honours minDecryptionVersion', async () => {
    await createKey('payments');
    const v1 = await call<Encrypted>('/payments/encrypt', { plaintext: b64('card 4111'), context: b64('customer-1') });
    expect(v1.status).toBe(200);
    expect(v1.body.ciphertext).toMatch(/^sentinel:v1:[A-Za-z0-9+/]+=*$/);
    expect(v1.body.ciphertext).not.toContain(b64('card 4111'));

    const rotated = await call<{ latestVersion: number; versions: unknown[] }>('/payments/rotate', {});
    expect(rotated.body.latestVersion).toBe(2);
    expect(JSON.stringify(rotated.body)).not.toMatch(/wrapped|key_material|"key"/i);
    const v2 = await call<Encrypted>('/payments/encrypt', { plaintext: b64('card 5500'), context: b64('customer-1') });
    expect(v2.body.ciphertext).toMatch(/^sentinel:v2:/);

    const decrypt = (ciphertext: string, context = b64('customer-1')) =>
      call<{ plaintext: string }>('/payments/decrypt', { ciphertext, context });
    expect((await decrypt(v1.body.ciphertext)).body.plaintext).toBe(b64('card 4111'));
    expect((await decrypt(v2.body.ciphertext)).body.plaintext).toBe(b64('card 5500'));
    // The context is associated data: another context does not decrypt.
    expectErrorBody(await decrypt(v1.body.ciphertext, b64('customer-2')), 400, 'TRANSIT_INVALID_CIPHERTEXT');

    const rewrapped = await call<Encrypted & { plaintext?: string }>('/payments/rewrap', {
      ciphertext: v1.body.ciphertext,
      context: b64('customer-1'),
    });
    expect(rewrapped.body.ciphertext).toMatch(/^sentinel:v2:/);
    expect(rewrapped.body.plaintext).toBeUndefined();
    expect((await decrypt(rewrapped.body.ciphertext)).body.plaintext).toBe(b64('card 4111'));

    const configured = await request<{ minDecryptionVersion: number }>(baseUrl, '/api/v1/transit/keys/payments', {
      method: 'PATCH',
      token: admin,
      json: { minDecryptionVersion: 2 },
    });
    expect(configured.body.minDecryptionVersion).toBe(2);
    expectErrorBody(await decrypt(v1.body.ciphertext), 400, 'TRANSIT_VERSION_BELOW_MIN_DECRYPTION');
    expect((await decrypt(v2.body.ciphertext)).status).toBe(200);
    const tooHigh = await request(baseUrl, '/api/v1/transit/keys/payments', {
      method: 'PATCH',
      token: admin,
      json: { minDecryptionVersion: 3 },
    });
    expectErrorBody(tooHigh, 400, 'TRANSIT_INVALID_CONFIG');
  });

  it('refuses malformed and tampered ciphertexts and a tampered wrapped key, never with a 500', async () => {
    await createKey('tamper');
    const { body } = await call<Encrypted>('/tamper/encrypt', { plaintext: b64('sensitive field') });
    const raw = Buffer.from(body.ciphertext.split(':')[2], 'base64');
    raw[raw.length - 1] ^= 1;
    const decrypt = (ciphertext: string) => call('/tamper/decrypt', { ciphertext });
    expectErrorBody(await decrypt(`sentinel:v1:${raw.toString('base64')}`), 400, 'TRANSIT_INVALID_CIPHERTEXT');
    for (const bad of ['garbage', 'sentinel:v0:AAAA', 'sentinel:v9:AAAA', 'sentinel:v1:', 'sentinel:v1:!!!!']) {
      const result = await decrypt(bad);
      expect(result.status).toBe(400);
    }
    expectErrorBody(await call('/missing/encrypt', { plaintext: b64('x') }), 404, 'TRANSIT_KEY_NOT_FOUND');
    expectErrorBody(await call('/tamper/encrypt', { plaintext: 'not base64 !' }), 400);

    await testApp.app.get(DataSource).query(
      `UPDATE transit_key_versions SET wrapped_key = set_byte(wrapped_key, 40, get_byte(wrapped_key, 40) # 1)
          WHERE key_id = (SELECT id FROM transit_keys WHERE name = 'tamper')`,
    );
    expectErrorBody(await decrypt(body.ciphertext), 422, 'SECRET_INTEGRITY_FAILED');
  });

  it('deletes a key only once deletion is allowed', async () => {
    await createKey('short-lived');
    const remove = () => request(baseUrl, '/api/v1/transit/keys/short-lived', { method: 'DELETE', token: admin });
    expectErrorBody(await remove(), 409, 'TRANSIT_DELETION_NOT_ALLOWED');
    await request(baseUrl, '/api/v1/transit/keys/short-lived', {
      method: 'PATCH',
      token: admin,
      json: { deletionAllowed: true },
    });
    expect((await remove()).status).toBe(204);
    expectErrorBody(await call('/short-lived'), 404, 'TRANSIT_KEY_NOT_FOUND');
  });
});
