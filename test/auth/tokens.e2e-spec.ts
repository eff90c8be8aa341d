import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { type Algorithm, sign } from 'jsonwebtoken';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, login, type TestUser } from '../support/users';
import { API, me } from './auth-helpers';

const JWT_SECRET = 'tokens-e2e-signing-key-0123456789abcdefghij';
const ISSUER = 'sentinel';
const AUDIENCE = 'sentinel-api';

interface Claims {
  sub: string;
  jti: string;
  username: string;
}

interface Forgery {
  key?: string;
  algorithm?: Algorithm;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch; by default an hour from now. */
  exp?: number;
}

/** A token built outside the app: by default exactly what the app would sign. */
function forge(claims: Claims, forgery: Forgery = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return sign({ ...claims, iat: now - 60, exp: forgery.exp ?? now + 3600 }, forgery.key ?? JWT_SECRET, {
    algorithm: forgery.algorithm ?? 'HS256',
    issuer: forgery.issuer ?? ISSUER,
    audience: forgery.audience ?? AUDIENCE,
  });
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodePart = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/** The token with its payload edited and its original signature kept. */
function tamper(token: string, edit: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.');
  const claims = decodePart(payload);
  edit(claims);
  return `${header}.${base64url(claims)}.${signature}`;
}

describe('auth: access tokens', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let alice: TestUser;
  let bob: TestUser;
  let aliceToken: string;
  let aliceClaims: Claims;
  let bobClaims: Claims;

  beforeAll(async () => {
    testApp = await createTestApp({ JWT_SECRET, JWT_ALGORITHM: 'HS256' });
    baseUrl = testApp.baseUrl;
    alice = await createUser(testApp.app, { role: Role.Operator });
    bob = await createUser(testApp.app, { role: Role.Admin });
    const aliceLogin = await login(baseUrl, alice);
    const bobLogin = await login(baseUrl, bob);
    aliceToken = aliceLogin.token!;
    aliceClaims = { sub: alice.id, jti: aliceLogin.sessionId!, username: alice.username };
    bobClaims = { sub: bob.id, jti: bobLogin.sessionId!, username: bob.username };
  });
  afterAll(() => testApp.close());

  async function expectRefused(token: string): Promise<void> {
    expectErrorBody(await me(baseUrl, token), 401);
  }

  it('refuses a token it accepted before, once the token has expired: a verified token is remembered, its expiry is not', async () => {
    const shortLived = forge(aliceClaims, { exp: Math.floor(Date.now() / 1000) + 2 });
    expect((await me(baseUrl, shortLived)).status).toBe(200);
    expect((await me(baseUrl, shortLived)).status).toBe(200);
    await delay(3_000);
    await expectRefused(shortLived);
  });

  it('accepts a token built the way the app builds them (the forgeries below differ in one thing each)', async () => {
    const result = await me(baseUrl, forge(aliceClaims));
    expect(result.status).toBe(200);
    expect(result.body.id).toBe(alice.id);
    expect((await me(baseUrl, forge(bobClaims))).body.id).toBe(bob.id);
  });

  it('refuses a token signed with another key', async () => {
    await expectRefused(forge(aliceClaims, { key: 'another-key-of-enough-length-0123456789abcdef' }));
  });

  it('refuses alg none, with or without the original signature', async () => {
    const payload = aliceToken.split('.')[1];
    const signature = aliceToken.split('.')[2];
    for (const alg of ['none', 'None', 'NONE']) {
      const header = base64url({ alg, typ: 'JWT' });
      await expectRefused(`${header}.${payload}.`);
      await expectRefused(`${header}.${payload}.${signature}`);
    }
  });

  it('refuses another HMAC algorithm, even with the right key (HS256 is pinned)', async () => {
    await expectRefused(forge(aliceClaims, { algorithm: 'HS512' }));
    await expectRefused(forge(aliceClaims, { algorithm: 'HS384' }));
  });

  it('refuses a header whose algorithm was changed', async () => {
    const [, payload, signature] = aliceToken.split('.');
    await expectRefused(`${base64url({ alg: 'HS512', typ: 'JWT' })}.${payload}.${signature}`);
  });

  it('refuses tampered claims that keep the original signature', async () => {
    await expectRefused(
      tamper(aliceToken, (claims) => {
        claims.sub = bob.id;
      }),
    );
    await expectRefused(
      tamper(aliceToken, (claims) => {
        claims.jti = bobClaims.jti;
      }),
    );
    await expectRefused(
      tamper(aliceToken, (claims) => {
        claims.sub = bob.id;
        claims.jti = bobClaims.jti;
        claims.username = bob.username;
      }),
    );
    await expectRefused(
      tamper(aliceToken, (claims) => {
        claims.exp = Number(claims.exp) + 86_400;
      }),
    );
    // The untampered token still works: the refusals above are the tampering's.
    expect((await me(baseUrl, aliceToken)).status).toBe(200);
  });

  it('refuses a wrong issuer or audience', async () => {
    await expectRefused(forge(aliceClaims, { issuer: 'someone-else' }));
    await expectRefused(forge(aliceClaims, { audience: 'another-api' }));
  });

  it('refuses an expired token', async () => {
    await expectRefused(forge(aliceClaims, { exp: Math.floor(Date.now() / 1000) - 5 }));
  });

  it("refuses a correctly signed token that names one user and another user's session", async () => {
    await expectRefused(forge({ ...aliceClaims, jti: bobClaims.jti }));
    await expectRefused(forge({ ...bobClaims, jti: aliceClaims.jti }));
  });

  it('refuses a correctly signed token whose session does not exist or is not a session id', async () => {
    await expectRefused(forge({ ...aliceClaims, jti: randomUUID() }));
    await expectRefused(forge({ ...aliceClaims, jti: 'not-a-session-id' }));
    await expectRefused(forge({ ...aliceClaims, sub: 'not-a-user-id' }));
  });

  it.each([
    ['no authorization header', {}],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['another scheme', { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }],
    ['a token that is not a JWT', { authorization: 'Bearer not.a.jwt' }],
    ['a token without the scheme', { authorization: 'token' }],
  ])('refuses %s', async (_label, headers: Record<string, string>) => {
    expectErrorBody(await request(baseUrl, `${API}/auth/me`, { headers }), 401);
  });

  describe('every route of the auth and MFA controllers needs a valid session', () => {
    const routes: { method: string; path: string; json?: unknown }[] = [
      { method: 'POST', path: '/auth/logout' },
      { method: 'POST', path: '/auth/logout-all' },
      { method: 'GET', path: '/auth/me' },
      {
        method: 'POST',
        path: '/auth/password',
        json: { currentPassword: 'Current-password-1', newPassword: 'New-password-lantern-9' },
      },
      { method: 'GET', path: '/auth/sessions' },
      { method: 'DELETE', path: `/auth/sessions/${randomUUID()}` },
      { method: 'POST', path: '/auth/mfa/totp/enroll' },
      { method: 'POST', path: '/auth/mfa/totp/confirm', json: { code: '123456' } },
      { method: 'DELETE', path: '/auth/mfa/totp', json: { password: 'Current-password-1' } },
    ];

    it.each(routes)('$method $path: 401 without a token, with a bad one and with an ended session', async (route) => {
      const user = await createUser(testApp.app, { role: Role.Operator });
      const ended = await login(baseUrl, user);
      const logout = await request(baseUrl, `${API}/auth/logout`, { method: 'POST', token: ended.token });
      expect(logout.status).toBe(204);

      const wrongKey = forge(aliceClaims, { key: 'wrong-key-0123456789abcdef0123456789' });
      for (const token of [undefined, 'garbage', wrongKey, ended.token]) {
        const result = await request(baseUrl, `${API}${route.path}`, { method: route.method, json: route.json, token });
        expectErrorBody(result, 401);
      }
    });

    it('POST /auth/login: refused credentials are a 401 too', async () => {
      const result = await request(baseUrl, `${API}/auth/login`, {
        method: 'POST',
        json: { username: alice.username, password: 'Not-her-password-1' },
      });
      expectErrorBody(result, 401);
    });
  });
});
