import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { Role } from '../../src/rbac/role';
import { SigningKeysRotationJob } from '../../src/secrets/signing-keys/signing-keys-rotation.job';
import { cutDatabase } from '../audit/audit-support';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, tokenFor, type TestUser } from '../support/users';
import { waitUntil } from '../support/wait';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const me = (baseUrl: string, token: string) => request<{ id: string }>(baseUrl, '/api/v1/auth/me', { token });
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

describe('JWT signing keys as managed keys', () => {
  const clock = new TestClock(new Date());
  let testApp: TestApp;
  let baseUrl: string;
  let admin: TestUser;

  beforeAll(async () => {
    testApp = await createTestApp(
      { SESSION_TTL_HOURS: '24', JWT_KEY_ROTATION_DAYS: '30', ACCESS_TOKEN_TTL_MINUTES: '15' },
      { clock },
    );
    baseUrl = testApp.baseUrl;
    admin = await createUser(testApp.app, { role: Role.Admin });
  });
  afterAll(() => testApp.close());

  const jwks = async () => (await request<JSONWebKeySet>(baseUrl, '/.well-known/jwks.json')).body;

  it('signs with EdDSA and a kid, verifiable by jose against /.well-known/jwks.json alone', async () => {
    const token = await tokenFor(baseUrl, admin);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: expect.any(String), typ: 'JWT' });
    const published = await jwks();
    expect(published.keys).toEqual([
      expect.objectContaining({ kid: kidOf(token), kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' }),
    ]);
    expect(JSON.stringify(published)).not.toMatch(/"d"/);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${baseUrl}/.well-known/jwks.json`)), {
      issuer: 'sentinel',
      audience: 'sentinel-api',
      currentDate: clock.now(),
    });
    expect(payload.sub).toBe(admin.id);
  });

  it('refuses a token it accepted before once the token expires, its session still open', async () => {
    const token = await tokenFor(baseUrl, admin);
    expect((await me(baseUrl, token)).status).toBe(200);
    // ACCESS_TOKEN_TTL_MINUTES is 15; the session's idle timeout (30 min) and TTL are not reached.
    clock.advance(16 * 60_000);
    expectErrorBody(await me(baseUrl, token), 401);
  });

  it('rotates on demand: new tokens carry the new kid, tokens of the old key stay valid until they expire', async () => {
    const before = await tokenFor(baseUrl, admin);
    const rotated = await request<{ kid: string }>(baseUrl, '/api/v1/signing-keys/rotate', {
      method: 'POST',
      token: before,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.kid).not.toBe(kidOf(before));
    const after = await tokenFor(baseUrl, admin);
    expect(kidOf(after)).toBe(rotated.body.kid);
    expect((await me(baseUrl, before)).status).toBe(200);
    expect((await me(baseUrl, after)).status).toBe(200);
    const kids = (await jwks()).keys.map((key) => key.kid);
    expect(kids).toEqual(expect.arrayContaining([kidOf(before), kidOf(after)]));
    // Both verify offline with the published set.
    const set = createLocalJWKSet(await jwks());
    for (const token of [before, after]) {
      await expect(jwtVerify(token, set, { currentDate: clock.now() })).resolves.toBeDefined();
    }

    // Once every token of the old key has expired (SESSION_TTL_HOURS), it is no longer published.
    clock.advance(25 * HOUR_MS);
    expect((await jwks()).keys.map((key) => key.kid)).toEqual([kidOf(after)]);
  });

  it('rotates on schedule once the key is JWT_KEY_ROTATION_DAYS old', async () => {
    const job = testApp.app.get(SigningKeysRotationJob);
    const current = kidOf(await tokenFor(baseUrl, admin));
    expect(await job.runScheduled()).toBeUndefined();
    clock.advance(31 * DAY_MS);
    const kid = await job.runScheduled();
    expect(kid).toEqual(expect.any(String));
    expect(kid).not.toBe(current);
    expect(kidOf(await tokenFor(baseUrl, admin))).toBe(kid);
  });

  it.each([
    ['a NUL byte', 'k\u0000id'],
    ['a lone surrogate', '\ud800'],
    ['4 KB of letters', 'k'.repeat(4096)],
    ['a number', 7],
    ['an object', { $ne: null }],
  ])('refuses a token whose kid is %s with the uniform 401, never 500', async (_label, kid) => {
    const [, payload, signature] = (await tokenFor(baseUrl, admin)).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid })).toString('base64url');
    expectErrorBody(await me(baseUrl, `${header}.${payload}.${signature}`), 401);
  });

  it('refuses a token under an unknown kid, and the rotate route without a session or permission', async () => {
    const token = await tokenFor(baseUrl, admin);
    const [, payload, signature] = token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'unknown-kid-123', typ: 'JWT' })).toString(
      'base64url',
    );
    expectErrorBody(await me(baseUrl, `${header}.${payload}.${signature}`), 401);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expectErrorBody(await me(baseUrl, `${none}.${payload}.`), 401);
    expectErrorBody(await request(baseUrl, '/api/v1/signing-keys/rotate', { method: 'POST' }), 401);
    const operator = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Operator }));
    expectErrorBody(await request(baseUrl, '/api/v1/signing-keys/rotate', { method: 'POST', token: operator }), 403);
  });
});

describe('JWT_ALGORITHM=ES256', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ JWT_ALGORITHM: 'ES256' });
  });
  afterAll(() => testApp.close());

  it('signs with ES256 keys published as EC JWKs', async () => {
    const token = await tokenFor(testApp.baseUrl, await createUser(testApp.app, { role: Role.Operator }));
    expect(decodeProtectedHeader(token).alg).toBe('ES256');
    const set = createRemoteJWKSet(new URL(`${testApp.baseUrl}/.well-known/jwks.json`));
    await expect(jwtVerify(token, set, { issuer: 'sentinel', audience: 'sentinel-api' })).resolves.toBeDefined();
  });
});

describe('JWT verification while the database is away', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(() => testApp.close());

  it('answers 503, not 401, when the key of a valid token cannot be looked up', async () => {
    const admin = await createUser(testApp.app, { role: Role.Admin });
    // A fresh app has loaded its signer but no verifier yet: the first verification reads the key's row.
    const token = await tokenFor(testApp.baseUrl, admin);
    const restore = await cutDatabase(testApp.databaseUrl);
    try {
      expectErrorBody(await me(testApp.baseUrl, token), 503);
    } finally {
      await restore();
    }
    await waitUntil(async () => (await me(testApp.baseUrl, token)).status === 200);
  });
});
