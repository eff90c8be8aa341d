import { decodeJwt } from 'jose';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, login, tokenFor, type TestUser } from '../support/users';

interface Pair {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  refreshExpiresAt: string;
}

const MINUTE = 60_000;

describe('short access tokens, rotating refresh tokens and introspection', () => {
  const clock = new TestClock(new Date());
  let testApp: TestApp;
  let baseUrl: string;
  let user: TestUser;
  let introspector: string;

  beforeAll(async () => {
    testApp = await createTestApp(
      { ACCESS_TOKEN_TTL_MINUTES: '15', SESSION_TTL_HOURS: '24', SESSION_IDLE_TIMEOUT_MINUTES: '30' },
      { clock },
    );
    baseUrl = testApp.baseUrl;
    user = await createUser(testApp.app, { role: Role.Operator });
  });
  afterAll(() => testApp.close());

  const me = (token: string) => request(baseUrl, '/api/v1/auth/me', { token });
  const refresh = (refreshToken: string) =>
    request<Pair>(baseUrl, '/api/v1/auth/refresh', { method: 'POST', json: { refreshToken } });
  const introspect = (token: string) =>
    request<Record<string, unknown>>(baseUrl, '/api/v1/auth/introspect', {
      method: 'POST',
      token: introspector,
      json: { token },
    });

  async function fresh(): Promise<Pair> {
    const result = await login(baseUrl, user);
    expect(result.status).toBe(200);
    return result.body as unknown as Pair;
  }

  it('issues a 15-minute access token with a refresh token that rotates on every use', async () => {
    const first = await fresh();
    expect(Date.parse(first.expiresAt) - clock.now().getTime()).toBe(15 * MINUTE);
    expect(Date.parse(first.refreshExpiresAt) - clock.now().getTime()).toBe(24 * 60 * MINUTE);
    clock.advanceMinutes(14);
    const second = await refresh(first.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect(second.body.accessToken).not.toBe(first.accessToken);
    expect((await me(second.body.accessToken)).status).toBe(200);
    clock.advanceMinutes(2);
    // The first access token has expired; the refreshed one has not.
    expectErrorBody(await me(first.accessToken), 401);
    expect((await me(second.body.accessToken)).status).toBe(200);
    const third = await refresh(second.body.refreshToken);
    expect(third.status).toBe(200);
  });

  it('revokes the whole session when a spent refresh token is presented again', async () => {
    const first = await fresh();
    const second = (await refresh(first.refreshToken)).body;
    expectErrorBody(await refresh(first.refreshToken), 401);
    // The attacker's copy and the rightful holder's chain are both dead now.
    expectErrorBody(await me(second.accessToken), 401);
    expectErrorBody(await refresh(second.refreshToken), 401);
    const owner = await tokenFor(baseUrl, user);
    const sessions = await request<{ id: string }[]>(baseUrl, '/api/v1/auth/sessions', { token: owner });
    const { jti } = decodeJwt(second.accessToken);
    expect(sessions.body.map((session) => session.id)).not.toContain(jti);
  });

  it('lets one of 20 simultaneous uses of a refresh token through, and treats the rest as reuse', async () => {
    const pair = await fresh();
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(pair.refreshToken)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    for (const answer of answers.filter((each) => each.status !== 200)) expectErrorBody(answer, 401);
    // A spent token presented again ends the session, the pair the one winner got included.
    const winner = answers.find((answer) => answer.status === 200);
    expect((await me(winner?.body.accessToken ?? '')).status).toBe(401);
  });

  it('refuses forged, malformed and idle refresh tokens', async () => {
    const pair = await fresh();
    const forged = pair.refreshToken.slice(0, -4) + (pair.refreshToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expectErrorBody(await refresh(forged), 401);
    expectErrorBody(await refresh('garbage'), 401);
    expectErrorBody(await request(baseUrl, '/api/v1/auth/refresh', { method: 'POST', json: {} }), 400);
    // The idle timeout still applies to refreshing.
    clock.advanceMinutes(31);
    expectErrorBody(await refresh(pair.refreshToken), 401);
  });

  it('introspects an active, a revoked and an expired token (RFC 7662), for holders of tokens:introspect', async () => {
    const admin = await createUser(testApp.app, { role: Role.Admin });
    introspector = await tokenFor(baseUrl, admin);
    const active = await fresh();
    const answer = await introspect(active.accessToken);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      active: true,
      sub: user.id,
      username: user.username,
      jti: expect.any(String),
      exp: Math.floor(Date.parse(active.expiresAt) / 1000),
      iat: expect.any(Number),
      iss: 'sentinel',
      aud: 'sentinel-api',
      token_type: 'access_token',
    });

    const revoked = await fresh();
    expect((await request(baseUrl, '/api/v1/auth/logout', { method: 'POST', token: revoked.accessToken })).status).toBe(
      204,
    );
    expect((await introspect(revoked.accessToken)).body).toEqual({ active: false });

    const expiring = await fresh();
    clock.advanceMinutes(16);
    introspector = await tokenFor(baseUrl, admin);
    expect((await introspect(expiring.accessToken)).body).toEqual({ active: false });
    expect((await introspect('not-a-token')).body).toEqual({ active: false });

    const operator = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Operator }));
    const refused = await request(baseUrl, '/api/v1/auth/introspect', {
      method: 'POST',
      token: operator,
      json: { token: active.accessToken },
    });
    expectErrorBody(refused, 403);
    expectErrorBody(
      await request(baseUrl, '/api/v1/auth/introspect', { method: 'POST', json: { token: active.accessToken } }),
      401,
    );
  });
});
