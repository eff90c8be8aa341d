import { createHmac, randomBytes } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { generateSync } from 'otplib';
import { DataSource } from 'typeorm';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, type HttpResult, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, login, type TestUser, tokenFor } from '../support/users';

const JWT_SECRET = 'attack-table-signing-key-0123456789abcdefghij';
const API = '/api/v1';
const SESSION_TTL_HOURS = 1;
const IDLE_MINUTES = 10;
/** Enough interleaved samples per group for a stable median on a shared machine; under the lockout limits set below. */
const TIMING_SAMPLES = 149;

const b64url = (value: object | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

/** header.payload signed with HMAC-SHA256 under `key`, whatever algorithm the header names. */
function hmacToken(header: object, payload: object, key: string): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Attack {
  name: string;
  send: () => Promise<HttpResult>;
  status: number;
  code?: string;
}

/**
 * Table-driven authentication attacks against the real app: each row is one
 * forged, stale or misplaced credential and the refusal it must get.
 */
describe('attacks: authentication', () => {
  const clock = new TestClock(new Date('2032-02-01T10:00:05Z'));
  let testApp: TestApp;
  let baseUrl: string;
  let admin: TestUser;
  let adminToken: string;
  let valid: string;
  let claims: Record<string, unknown>;
  const stale: Record<string, string> = {};
  const keys: Record<string, string> = {};

  const loginWith = (user: TestUser, totpCode: string) =>
    request(baseUrl, `${API}/auth/login`, {
      method: 'POST',
      json: { username: user.username, password: user.password, totpCode },
    });
  const me = (token: string) => request(baseUrl, `${API}/auth/me`, { token });
  const withKey = (key: string, path = `${API}/agents`, options: { method?: string; json?: unknown } = {}) =>
    request(baseUrl, path, { ...options, headers: { 'x-api-key': key } });
  const issueKey = async (token: string): Promise<{ id: string; key: string }> => {
    const result = await request<{ id: string; key: string }>(baseUrl, `${API}/api-keys`, {
      method: 'POST',
      token,
      json: { name: `attack-${randomBytes(3).toString('hex')}` },
    });
    expect(result.status).toBe(201);
    return result.body;
  };

  beforeAll(async () => {
    testApp = await createTestApp(
      {
        JWT_SECRET,
        SESSION_TTL_HOURS: String(SESSION_TTL_HOURS),
        SESSION_IDLE_TIMEOUT_MINUTES: String(IDLE_MINUTES),
        MAX_FAILED_ATTEMPTS: '100',
        MAX_FAILED_ATTEMPTS_PER_ACCOUNT: '100',
      },
      { clock },
    );
    baseUrl = testApp.baseUrl;
    admin = await createUser(testApp.app, { role: Role.Admin });
    adminToken = await tokenFor(baseUrl, admin);
    valid = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
    claims = payloadOf(valid);

    const loggedOut = await createUser(testApp.app, { role: Role.Operator });
    stale.loggedOut = await tokenFor(baseUrl, loggedOut);
    expect((await request(baseUrl, `${API}/auth/logout`, { method: 'POST', token: stale.loggedOut })).status).toBe(204);

    const revoked = await createUser(testApp.app, { role: Role.Operator });
    const revokedLogin = await login(baseUrl, revoked);
    stale.revoked = revokedLogin.token ?? '';
    const revoke = await request(baseUrl, `${API}/auth/sessions/${revokedLogin.sessionId}`, {
      method: 'DELETE',
      token: stale.revoked,
    });
    expect(revoke.status).toBe(204);

    const deactivated = await createUser(testApp.app, { role: Role.Operator });
    stale.deactivated = await tokenFor(baseUrl, deactivated);
    const patch = await request(baseUrl, `${API}/users/${deactivated.id}`, {
      method: 'PATCH',
      token: adminToken,
      json: { isActive: false },
    });
    expect(patch.status).toBe(200);

    const live = await issueKey(adminToken);
    keys.valid = live.key;
    const revokedKey = await issueKey(adminToken);
    keys.revoked = revokedKey.key;
    expect(
      (await request(baseUrl, `${API}/api-keys/${revokedKey.id}`, { method: 'DELETE', token: adminToken })).status,
    ).toBe(204);
  });
  afterAll(() => testApp.close());

  it('accepts the genuine credentials the table forges from', async () => {
    expect((await me(valid)).status).toBe(200);
    expect((await withKey(keys.valid)).status).toBe(200);
  });

  describe('access tokens', () => {
    // Past on both clocks: the app's (moved by the test) and the wall clock the token library reads.
    const now = () => Math.floor(Math.min(Date.now(), clock.now().getTime()) / 1000);
    const rows = (): Attack[] => [
      ...['none', 'None', 'NONE', 'nOnE'].map((alg) => ({
        name: `alg ${alg}, no signature`,
        send: () => me(`${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}.`),
        status: 401,
      })),
      {
        name: 'alg none with the genuine signature kept',
        send: () => me(`${b64url({ alg: 'none', typ: 'JWT' })}.${valid.split('.')[1]}.${valid.split('.')[2]}`),
        status: 401,
      },
      ...(['HS384', 'HS512'] as const).map((algorithm) => ({
        name: `alg confusion: ${algorithm} with the right secret`,
        send: () => me(sign(claims, JWT_SECRET, { algorithm })),
        status: 401,
      })),
      {
        name: 'alg confusion: RS256 header over an HMAC of the secret',
        send: () => me(hmacToken({ alg: 'RS256', typ: 'JWT' }, claims, JWT_SECRET)),
        status: 401,
      },
      {
        name: 'HS256 signed with another secret',
        send: () => me(sign(claims, 'some-other-secret-0123456789abcdefghijkl', { algorithm: 'HS256' })),
        status: 401,
      },
      {
        name: 'HS256 signed with an empty secret',
        send: () => me(hmacToken({ alg: 'HS256', typ: 'JWT' }, claims, '')),
        status: 401,
      },
      {
        name: 'forged signature (random bytes)',
        send: () => me(`${valid.split('.').slice(0, 2).join('.')}.${randomBytes(32).toString('base64url')}`),
        status: 401,
      },
      {
        // Not the last character: its low bits are base64url padding, and changing only them
        // leaves the decoded signature as it was.
        name: 'signature with one character changed',
        send: () => {
          const at = valid.lastIndexOf('.') + 10;
          return me(`${valid.slice(0, at)}${valid[at] === 'A' ? 'g' : 'A'}${valid.slice(at + 1)}`);
        },
        status: 401,
      },
      { name: 'truncated signature', send: () => me(valid.slice(0, -6)), status: 401 },
      { name: 'signature removed', send: () => me(`${valid.split('.').slice(0, 2).join('.')}.`), status: 401 },
      { name: 'two parts only', send: () => me(valid.split('.').slice(0, 2).join('.')), status: 401 },
      {
        name: 'payload edited (another subject), signature kept',
        send: () => me(`${valid.split('.')[0]}.${b64url({ ...claims, sub: admin.id })}.${valid.split('.')[2]}`),
        status: 401,
      },
      {
        name: 'right secret, expired',
        send: () => me(sign({ ...claims, exp: now() - 10 }, JWT_SECRET, { algorithm: 'HS256' })),
        status: 401,
      },
      {
        name: 'right secret, wrong audience',
        send: () => me(sign({ ...claims, aud: 'another-api' }, JWT_SECRET, { algorithm: 'HS256' })),
        status: 401,
      },
      {
        name: 'right secret, wrong issuer',
        send: () => me(sign({ ...claims, iss: 'someone-else' }, JWT_SECRET, { algorithm: 'HS256' })),
        status: 401,
      },
      {
        name: 'right secret, a session id that does not exist',
        send: () => me(sign({ ...claims, jti: '00000000-0000-4000-8000-000000000000' }, JWT_SECRET)),
        status: 401,
      },
      { name: 'a logged-out session', send: () => me(stale.loggedOut), status: 401 },
      { name: 'a revoked session', send: () => me(stale.revoked), status: 401 },
      { name: 'a deactivated user', send: () => me(stale.deactivated), status: 401 },
      ...['access_token', 'token', 'jwt', 'authorization'].map((name) => ({
        name: `the token in the query string (?${name}=)`,
        send: () => request(baseUrl, `${API}/auth/me?${name}=${encodeURIComponent(valid)}`),
        status: 401,
      })),
      {
        name: 'the token as a cookie',
        send: () => request(baseUrl, `${API}/auth/me`, { headers: { cookie: `access_token=${valid}` } }),
        status: 401,
      },
      {
        name: 'the token under another scheme (Token, no scheme)',
        send: () => request(baseUrl, `${API}/auth/me`, { headers: { authorization: valid } }),
        status: 401,
      },
    ];

    it('refuses every forged, stale or misplaced token with the uniform 401', async () => {
      const results: [string, HttpResult][] = [];
      for (const row of rows()) results.push([row.name, await row.send()]);
      expect(results.map(([name, result]) => [name, result.status])).toEqual(
        rows().map((row) => [row.name, row.status]),
      );
      for (const [, result] of results) expectErrorBody(result, 401);
    });

    it('refuses a session past its idle timeout and past its lifetime', async () => {
      const idle = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Operator }));
      clock.advance((IDLE_MINUTES + 1) * 60_000);
      expectErrorBody(await me(idle), 401);

      const old = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Operator }));
      // Kept busy, so idleness does not end it first: 6 x 9 minutes in use, then past the hour.
      for (let i = 0; i < 6; i++) {
        clock.advance((IDLE_MINUTES - 1) * 60_000);
        expect((await me(old)).status).toBe(200);
      }
      clock.advance((IDLE_MINUTES - 1) * 60_000);
      expectErrorBody(await me(old), 401);
    });
  });

  describe('API keys', () => {
    const rows = (): Attack[] => {
      const [prefix, publicId, secret] = keys.valid.split('_');
      return [
        { name: 'a revoked key', send: () => withKey(keys.revoked), status: 401 },
        { name: 'truncated by one character', send: () => withKey(keys.valid.slice(0, -1)), status: 401 },
        { name: 'one character more', send: () => withKey(`${keys.valid}x`), status: 401 },
        {
          name: 'the right public id with a forged secret',
          send: () =>
            withKey(
              `${prefix}_${publicId}_${randomBytes(secret.length).toString('base64url').slice(0, secret.length)}`,
            ),
          status: 401,
        },
        {
          name: 'a forged public id with the right secret',
          send: () =>
            withKey(`${prefix}_${randomBytes(publicId.length).toString('hex').slice(0, publicId.length)}_${secret}`),
          status: 401,
        },
        { name: 'the secret alone', send: () => withKey(secret), status: 401 },
        {
          name: 'the key as a bearer token',
          send: () => request(baseUrl, `${API}/agents`, { token: keys.valid }),
          status: 401,
        },
        ...['api_key', 'apiKey', 'key', 'x-api-key'].map((name) => ({
          name: `the key in the query string (?${name}=)`,
          send: () => request(baseUrl, `${API}/agents?${name}=${encodeURIComponent(keys.valid)}`),
          status: 401,
        })),
        // A valid key may not manage keys, passwords, MFA, sessions or backups: those need a login session.
        ...(
          [
            ['POST', '/api-keys', { name: 'minted by a key' }],
            ['GET', '/api-keys', undefined],
            ['POST', '/auth/password', { currentPassword: 'x', newPassword: 'y' }],
            ['POST', '/auth/mfa/totp/enroll', {}],
            ['GET', '/auth/sessions', undefined],
            ['POST', '/auth/logout-all', {}],
            ['POST', '/backups', { type: 'full' }],
          ] as const
        ).map(([method, path, json]) => ({
          name: `a valid key on ${method} ${path}`,
          send: () => withKey(keys.valid, `${API}${path}`, { method, json }),
          status: 403,
          code: 'SESSION_REQUIRED',
        })),
      ];
    };

    it('refuses every forged, revoked or misplaced key, and keys on management routes', async () => {
      const results: [string, HttpResult][] = [];
      for (const row of rows()) results.push([row.name, await row.send()]);
      const code = (result: HttpResult, expected?: string) =>
        expected === undefined ? undefined : (result.body as { code?: string }).code;
      expect(results.map(([name, result], i) => [name, result.status, code(result, rows()[i].code)])).toEqual(
        rows().map((row) => [row.name, row.status, row.code]),
      );
      for (const [, result] of results) expectErrorBody(result, result.status);
    });
  });

  describe('TOTP', () => {
    it('refuses a TOTP code used once already (replay), on login and on disabling', async () => {
      const user = await createUser(testApp.app, { role: Role.Operator });
      const token = await tokenFor(baseUrl, user);
      const enrolled = await request<{ secret: string }>(baseUrl, `${API}/auth/mfa/totp/enroll`, {
        method: 'POST',
        token,
      });
      const code = () =>
        generateSync({ secret: enrolled.body.secret, epoch: Math.floor(clock.now().getTime() / 1000) });
      const confirmCode = code();
      const confirmed = await request(baseUrl, `${API}/auth/mfa/totp/confirm`, {
        method: 'POST',
        token,
        json: { code: confirmCode },
      });
      expect(confirmed.status).toBe(200);
      // The confirmation's code, replayed at login in the same step.
      expectErrorBody(await loginWith(user, confirmCode), 401);

      clock.advance(30_000);
      const fresh = code();
      expect((await loginWith(user, fresh)).status).toBe(200);
      expectErrorBody(await loginWith(user, fresh), 401);
      const disable = await request(baseUrl, `${API}/auth/mfa/totp`, {
        method: 'DELETE',
        token,
        json: { code: fresh },
      });
      expect(disable.status).toBeGreaterThanOrEqual(400);
      expect(disable.status).toBeLessThan(500);
    });
  });

  describe('refresh tokens', () => {
    interface Pair {
      accessToken: string;
      refreshToken: string;
    }
    const refresh = (refreshToken: string) =>
      request<Pair>(baseUrl, `${API}/auth/refresh`, { method: 'POST', json: { refreshToken } });

    it('refuses a refresh token used twice and ends the session it belongs to, its newest tokens too', async () => {
      const user = await createUser(testApp.app, { role: Role.Operator });
      const first = await request<Pair>(baseUrl, `${API}/auth/login`, {
        method: 'POST',
        json: { username: user.username, password: user.password },
      });
      const second = await refresh(first.body.refreshToken);
      expect(second.status).toBe(200);

      // A thief replays the spent token: refused, and the whole session ends with it.
      expectErrorBody(await refresh(first.body.refreshToken), 401);
      expectErrorBody(await refresh(second.body.refreshToken), 401);
      expectErrorBody(await me(second.body.accessToken), 401);
    });

    it.each([
      [
        'forged',
        () => `srt_${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}_${randomBytes(32).toString('base64url')}`,
      ],
      ['truncated', () => 'srt_'],
      ['an access token instead', () => valid],
      ['empty', () => ''],
    ])('refuses a %s refresh token with the uniform 4xx', async (_name, make) => {
      const answer = await refresh(make());
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expectErrorBody(answer, answer.status);
    });
  });

  describe('timing', () => {
    it('takes as long to refuse an unknown username or a locked account as a known one with a wrong password (medians within 15 %)', async () => {
      // Known accounts in turn, so that none reaches the limit of 100 failures.
      const known = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(testApp.app, { role: Role.Auditor })));
      const locked = await createUser(testApp.app, { role: Role.Auditor });
      await testApp.app
        .get(DataSource)
        .query(`UPDATE users SET locked_until = '9999-12-31' WHERE id = $1`, [locked.id]);
      const attempt = async (username: string): Promise<number> => {
        const started = process.hrtime.bigint();
        const result = await request(baseUrl, `${API}/auth/login`, {
          method: 'POST',
          json: { username, password: 'wrong-Password-for-timing-1' },
        });
        const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
        expect(result.status).toBe(401);
        return elapsed;
      };
      const unknownName = () => `nobody_${randomBytes(4).toString('hex')}`;
      let knownTurn = 0;
      const groups = [
        { next: () => known[knownTurn++ % known.length].username, times: [] as number[] },
        { next: unknownName, times: [] as number[] },
        { next: () => locked.username, times: [] as number[] },
      ];
      // Warm every path, then interleave, each group first in turn, so load on the machine falls on all alike.
      for (const group of groups) await attempt(group.next());
      for (let i = 0; i < TIMING_SAMPLES; i++) {
        for (let j = 0; j < groups.length; j++) {
          const group = groups[(i + j) % groups.length];
          group.times.push(await attempt(group.next()));
        }
      }
      const [knownMedian, unknownMedian, lockedMedian] = groups.map((group) => median(group.times));
      const within = (value: number) => value / knownMedian >= 0.85 && value / knownMedian <= 1.15;
      expect({
        knownMedian,
        unknownMedian,
        lockedMedian,
        within: [within(unknownMedian), within(lockedMedian)],
      }).toEqual({
        knownMedian,
        unknownMedian,
        lockedMedian,
        within: [true, true],
      });
    }, 120_000);
  });
});
