import { randomUUID } from 'node:crypto';
import { Role } from '../../src/rbac/role';
import { ROLE_PERMISSIONS } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { type EventRecorder, publishedEvent, recordEvents } from '../support/events';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, login, strongPassword, type TestUser, tokenFor } from '../support/users';
import { API, me, sql, userRow } from './auth-helpers';

interface SessionBody {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

describe('auth: sessions, profile and password change', () => {
  const clock = new TestClock(new Date('2031-04-01T08:00:00Z'));
  let testApp: TestApp;
  let baseUrl: string;
  let events: EventRecorder;

  beforeAll(async () => {
    // Defaults: SESSION_TTL_HOURS=24, SESSION_IDLE_TIMEOUT_MINUTES=30.
    testApp = await createTestApp({}, { clock });
    baseUrl = testApp.baseUrl;
    events = recordEvents(testApp.app);
  });
  afterAll(async () => {
    events.stop();
    await testApp.close();
  });

  const operator = (options: { mustChangePassword?: boolean } = {}) =>
    createUser(testApp.app, { role: Role.Operator, ...options });

  async function sessionsOf(user: TestUser, count: number): Promise<string[]> {
    const tokens: string[] = [];
    for (let index = 0; index < count; index++) tokens.push(await tokenFor(baseUrl, user));
    return tokens;
  }

  const listSessions = (token: string) => request<SessionBody[]>(baseUrl, `${API}/auth/sessions`, { token });
  const post = (path: string, token: string, json?: unknown) =>
    request<Record<string, unknown>>(baseUrl, `${API}${path}`, { method: 'POST', token, json });
  const deleteSession = (token: string, id: string) =>
    request(baseUrl, `${API}/auth/sessions/${id}`, { method: 'DELETE', token });
  const changePassword = (token: string, currentPassword: string, newPassword: string) =>
    post('/auth/password', token, { currentPassword, newPassword });

  async function expectSessionEnded(token: string): Promise<void> {
    expectErrorBody(await me(baseUrl, token), 401);
  }

  describe('GET /auth/me', () => {
    it("returns the caller's profile, role and effective permissions, and nothing secret", async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const result = await me(baseUrl, token);
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        id: user.id,
        username: user.username,
        email: `${user.username}@example.test`,
        displayName: null,
        role: 'OPERATOR',
        permissions: expect.any(Array),
        mustChangePassword: false,
        mfaEnabled: false,
        lastLoginAt: clock.now().toISOString(),
        createdAt: expect.any(String),
      });
      expect([...(result.body.permissions as string[])].sort()).toEqual([...ROLE_PERMISSIONS.OPERATOR].sort());

      const { password_hash: hash } = await userRow(testApp.app, user.id);
      const text = JSON.stringify(result.body);
      for (const secret of [user.password, hash, token]) expect(text).not.toContain(secret);
    });
  });

  describe('logout', () => {
    it('POST /auth/logout ends this session only: the same token is refused at once', async () => {
      const user = await operator();
      const ending = await login(baseUrl, user);
      const other = await login(baseUrl, user);

      expect((await post('/auth/logout', ending.token!)).status).toBe(204);
      await expectSessionEnded(ending.token!);
      expectErrorBody(await post('/auth/logout', ending.token!), 401);
      expect((await me(baseUrl, other.token!)).status).toBe(200);
      expect(events.payloads('auth.session.revoked', { userId: user.id })).toEqual([
        publishedEvent(
          { userId: user.id, sessionIds: [ending.sessionId], reason: 'logout' },
          expect.objectContaining({ actor: expect.objectContaining({ userId: user.id, sessionId: ending.sessionId }) }),
        ),
      ]);
    });

    it('POST /auth/logout-all ends every session of the caller', async () => {
      const user = await operator();
      const bystander = await operator();
      const bystanderToken = await tokenFor(baseUrl, bystander);
      const tokens = await sessionsOf(user, 3);

      expect((await post('/auth/logout-all', tokens[1])).status).toBe(204);
      for (const token of tokens) await expectSessionEnded(token);
      expect((await me(baseUrl, bystanderToken)).status).toBe(200);
      const [revoked] = events.payloads<{ sessionIds: string[]; reason: string }>('auth.session.revoked', {
        userId: user.id,
      });
      expect(revoked.reason).toBe('logout_all');
      expect(revoked.sessionIds).toHaveLength(3);
    });
  });

  describe('GET /auth/sessions', () => {
    it("lists the caller's open sessions, marking the current one", async () => {
      const user = await operator();
      const first = await login(baseUrl, user);
      clock.advance(20_000);
      const second = await request<{ accessToken: string; sessionId: string }>(baseUrl, `${API}/auth/login`, {
        method: 'POST',
        json: { username: user.username, password: user.password },
        headers: { 'user-agent': 'sentinel-e2e/2' },
      });
      const ended = await login(baseUrl, user);
      expect((await post('/auth/logout', ended.token!)).status).toBe(204);

      const result = await listSessions(second.body.accessToken);
      expect(result.status).toBe(200);
      expect(result.body).toHaveLength(2);
      const byId = new Map(result.body.map((session) => [session.id, session]));
      expect(byId.get(second.body.sessionId)).toEqual({
        id: second.body.sessionId,
        current: true,
        createdAt: clock.now().toISOString(),
        lastSeenAt: clock.now().toISOString(),
        expiresAt: new Date(clock.now().getTime() + 24 * 3_600_000).toISOString(),
        ip: '127.0.0.1',
        userAgent: 'sentinel-e2e/2',
      });
      expect(byId.get(first.sessionId!)).toMatchObject({ current: false });
      expect(byId.has(ended.sessionId!)).toBe(false);

      const { password_hash: hash } = await userRow(testApp.app, user.id);
      const text = JSON.stringify(result.body);
      for (const secret of [user.password, hash, first.token!, second.body.accessToken]) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toMatch(/hash|secret|token/i);
    });

    it("never lists another user's sessions", async () => {
      const [alice, bob] = [await operator(), await operator()];
      const bobSession = await login(baseUrl, bob);
      const result = await listSessions(await tokenFor(baseUrl, alice));
      expect(result.body.map((session) => session.id)).not.toContain(bobSession.sessionId);
      expect(result.body).toHaveLength(1);
    });
  });

  describe('DELETE /auth/sessions/:id', () => {
    it('ends one of my other sessions, and I keep mine', async () => {
      const user = await operator();
      const mine = await login(baseUrl, user);
      const other = await login(baseUrl, user);
      expect((await deleteSession(mine.token!, other.sessionId!)).status).toBe(204);
      await expectSessionEnded(other.token!);
      expect((await me(baseUrl, mine.token!)).status).toBe(200);
      expect(events.payloads('auth.session.revoked', { userId: user.id })).toEqual([
        expect.objectContaining({ sessionIds: [other.sessionId], reason: 'revoked_by_owner' }),
      ]);
      // Already over: nothing left to end.
      expectErrorBody(await deleteSession(mine.token!, other.sessionId!), 404);
    });

    it('can end the current session too', async () => {
      const user = await operator();
      const mine = await login(baseUrl, user);
      expect((await deleteSession(mine.token!, mine.sessionId!)).status).toBe(204);
      await expectSessionEnded(mine.token!);
    });

    it("answers 404 for another user's session and leaves it open", async () => {
      const [alice, bob] = [await operator(), await operator()];
      const bobSession = await login(baseUrl, bob);
      const aliceToken = await tokenFor(baseUrl, alice);
      expectErrorBody(await deleteSession(aliceToken, bobSession.sessionId!), 404);
      expect((await me(baseUrl, bobSession.token!)).status).toBe(200);
    });

    it('answers 404 for a session that does not exist and 400 for a malformed id', async () => {
      const token = await tokenFor(baseUrl, await operator());
      expectErrorBody(await deleteSession(token, randomUUID()), 404);
      expectErrorBody(await deleteSession(token, 'not-a-uuid'), 400);
      expectErrorBody(await deleteSession(token, "1' OR '1'='1"), 400);
    });
  });

  describe('session lifetime', () => {
    it('refuses a session idle for longer than SESSION_IDLE_TIMEOUT_MINUTES, and records why', async () => {
      const user = await operator();
      const { token, sessionId } = await login(baseUrl, user);
      clock.advanceMinutes(30);
      clock.advance(1_000);
      await expectSessionEnded(token!);
      const [row] = await sql<{ revoked_reason: string }>(
        testApp.app,
        'SELECT revoked_reason FROM sessions WHERE id = $1',
        [sessionId],
      );
      expect(row.revoked_reason).toBe('idle_timeout');
      expect(events.payloads('auth.session.revoked', { userId: user.id })).toEqual([
        expect.objectContaining({ sessionIds: [sessionId], reason: 'idle_timeout' }),
      ]);
    });

    it('keeps a session in use alive past the idle timeout', async () => {
      const { token } = await login(baseUrl, await operator());
      for (let step = 0; step < 4; step++) {
        clock.advanceMinutes(20);
        expect((await me(baseUrl, token!)).status).toBe(200);
      }
    });

    it('refuses a session past SESSION_TTL_HOURS, however active, although its JWT has not expired', async () => {
      const user = await operator();
      const result = await login(baseUrl, user);
      const expiresAt = Date.parse(result.body.expiresAt as string);
      expect(expiresAt - clock.now().getTime()).toBe(24 * 3_600_000);
      // Stay active (never idle) until the last moment before expiry.
      while (clock.now().getTime() + 29 * 60_000 < expiresAt) {
        clock.advanceMinutes(29);
        expect((await me(baseUrl, result.token!)).status).toBe(200);
      }
      clock.advance(expiresAt - clock.now().getTime());
      await expectSessionEnded(result.token!);
      // Expired sessions are no longer listed either.
      const fresh = await tokenFor(baseUrl, user);
      expect((await listSessions(fresh)).body.map((session) => session.id)).not.toContain(result.sessionId);
    });

    it("refuses a deactivated user's sessions at once", async () => {
      const user = await operator();
      const tokens = await sessionsOf(user, 2);
      await sql(testApp.app, 'UPDATE users SET is_active = false WHERE id = $1', [user.id]);
      for (const token of tokens) await expectSessionEnded(token);
    });

    it('refuses the session of a user who was deleted', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      await sql(testApp.app, 'DELETE FROM users WHERE id = $1', [user.id]);
      await expectSessionEnded(token);
    });
  });

  describe('POST /auth/password', () => {
    it('refuses a wrong current password with 400 and changes nothing', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const result = await changePassword(token, `${user.password}-wrong`, strongPassword());
      expectErrorBody(result, 400);
      expect(result.body.message).toBe('Current password is not correct');
      expect((await login(baseUrl, user)).status).toBe(200);
    });

    it('counts wrong current passwords toward the lockout, and a lock ends every session', async () => {
      const user = await operator();
      const [token, other] = await sessionsOf(user, 2);
      for (let attempt = 0; attempt < 4; attempt++) {
        expectErrorBody(await changePassword(token, `${user.password}-guess-${attempt}`, strongPassword()), 400);
      }
      expect((await me(baseUrl, token)).status).toBe(200);
      expectErrorBody(await changePassword(token, `${user.password}-guess-4`, strongPassword()), 400);
      await expectSessionEnded(token);
      await expectSessionEnded(other);
      expect((await login(baseUrl, user)).status).toBe(401);
      expect(events.payloads('auth.account.locked', { userId: user.id })).toHaveLength(1);
    });

    it.each([
      ['too short', 'Sh0rt!pw', 'Password must be at least 12 characters long'],
      ['common', 'Password123!', expect.stringMatching(/^Password is too easy to guess/)],
      ["the seed's admin123", 'admin123', 'Password must be at least 12 characters long'],
    ])('refuses a new password that is %s with 400 and the policy message', async (_label, weak, message) => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const result = await changePassword(token, user.password, weak);
      expectErrorBody(result, 400);
      expect(result.body.message).toEqual(message);
      expect((await login(baseUrl, { username: user.username, password: weak })).status).toBe(401);
    });

    it('refuses a new password containing the username', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const result = await changePassword(token, user.password, `Zq8!${user.username.toUpperCase()}-lantern`);
      expectErrorBody(result, 400);
      expect(result.body.message).toBe('Password must not contain the username');
    });

    it('refuses the current password as the new one', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const result = await changePassword(token, user.password, user.password);
      expectErrorBody(result, 400);
      expect(result.body.message).toBe('New password must differ from the current one');
    });

    it('refuses a malformed body with 400', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      expectErrorBody(await post('/auth/password', token, { newPassword: strongPassword() }), 400);
      expectErrorBody(
        await post('/auth/password', token, { currentPassword: user.password, newPassword: 1234567890123 }),
        400,
      );
    });

    it('changes the password, ends the other sessions and keeps this one', async () => {
      const user = await operator();
      const current = (await login(baseUrl, user)).token!;
      const others = [await login(baseUrl, user), await login(baseUrl, user)];
      const newPassword = strongPassword();

      expect((await changePassword(current, user.password, newPassword)).status).toBe(204);
      for (const other of others) await expectSessionEnded(other.token!);
      expect((await me(baseUrl, current)).status).toBe(200);
      expect((await login(baseUrl, user)).status).toBe(401);
      expect((await login(baseUrl, { username: user.username, password: newPassword })).status).toBe(200);

      expect(events.payloads('auth.password.changed', { userId: user.id })).toEqual([
        expect.objectContaining({ username: user.username }),
      ]);
      const revoked = events.payloads<{ sessionIds: string[]; reason: string }>('auth.session.revoked', {
        userId: user.id,
      });
      expect(revoked).toHaveLength(1);
      expect(revoked[0].reason).toBe('password_changed');
      expect([...revoked[0].sessionIds].sort()).toEqual(others.map((other) => other.sessionId).sort());
    });
  });

  describe('a user who must change their password', () => {
    it('reaches only /auth/me, /auth/password and logout; everything else is 403 until the change', async () => {
      const user = await operator({ mustChangePassword: true });
      const login1 = await login(baseUrl, user);
      expect(login1.body.user).toMatchObject({ mustChangePassword: true });
      const token = login1.token!;
      const spare = await tokenFor(baseUrl, user);

      const profile = await me(baseUrl, token);
      expect(profile.status).toBe(200);
      expect(profile.body.mustChangePassword).toBe(true);

      const refused = [
        await listSessions(token),
        await deleteSession(token, login1.sessionId!),
        await post('/auth/mfa/totp/enroll', token),
        await post('/auth/mfa/totp/confirm', token, { code: '123456' }),
        await request(baseUrl, `${API}/auth/mfa/totp`, { method: 'DELETE', token, json: { password: user.password } }),
        await request(baseUrl, `${API}/rbac/roles`, { token }),
        await request(baseUrl, `${API}/proposals`, { token }),
      ];
      for (const result of refused) {
        expectErrorBody(result, 403);
        expect((result.body as { message: string }).message).toMatch(/password change/i);
      }

      expect((await post('/auth/logout', spare)).status).toBe(204);
      const newPassword = strongPassword();
      expect((await changePassword(token, user.password, newPassword)).status).toBe(204);
      expect((await me(baseUrl, token)).body.mustChangePassword).toBe(false);
      expect((await userRow(testApp.app, user.id)).must_change_password).toBe(false);
      expect((await listSessions(token)).status).toBe(200);
      expect((await request(baseUrl, `${API}/proposals`, { token })).status).toBe(200);
    });

    it('may log out of everything before changing it', async () => {
      const user = await operator({ mustChangePassword: true });
      const token = await tokenFor(baseUrl, user);
      expect((await post('/auth/logout-all', token)).status).toBe(204);
      await expectSessionEnded(token);
    });
  });
});
