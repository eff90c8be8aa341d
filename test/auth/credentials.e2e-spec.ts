import { generateSync } from 'otplib';
import { SessionCleanup } from '../../src/auth/sessions/session-cleanup.service';
import { Role } from '../../src/rbac/role';
import { type EventRecorder, recordEvents } from '../support/events';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, login, strongPassword, type TestUser, tokenFor } from '../support/users';
import { API, sql } from './auth-helpers';

const MINUTE = 60_000;

describe('auth: credential hygiene and sessions', () => {
  const clock = new TestClock(new Date('2031-07-01T10:00:00Z'));
  let testApp: TestApp;
  let baseUrl: string;
  let events: EventRecorder;
  let adminToken: string;

  beforeAll(async () => {
    // RECENT_AUTH_MINUTES defaults to 5.
    testApp = await createTestApp({ SESSION_MAX_PER_USER: '3' }, { clock });
    baseUrl = testApp.baseUrl;
    events = recordEvents(testApp.app);
    adminToken = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
  });
  afterAll(async () => {
    events.stop();
    await testApp.close();
  });

  const operator = () => createUser(testApp.app, { role: Role.Operator });
  const post = <T = Record<string, unknown>>(path: string, token: string, json?: unknown) =>
    request<T>(baseUrl, `${API}${path}`, { method: 'POST', token, json });
  const issueKey = (token: string, json: Record<string, unknown> = {}) =>
    post<{ id: string; key: string }>('/api-keys', token, { name: 'a key', ...json });
  const withKey = (key: string) => request(baseUrl, `${API}/auth/me`, { headers: { 'x-api-key': key } });
  const changePassword = (token: string, user: TestUser, json: Record<string, unknown> = {}) =>
    post('/auth/password', token, { currentPassword: user.password, newPassword: strongPassword(), ...json });

  describe('API keys die with the password', () => {
    it('revokes every key of the user on a password change, in the same transaction, with events', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const first = await issueKey(token);
      const second = await issueKey(token);
      expect((await withKey(first.body.key)).status).toBe(200);
      expect((await changePassword(token, user)).status).toBe(204);
      expect((await withKey(first.body.key)).status).toBe(401);
      expect((await withKey(second.body.key)).status).toBe(401);
      const revoked = events.payloads<{ keyId: string }>('api-key.revoked', { ownerId: user.id });
      expect(revoked.map((event) => event.keyId).sort()).toEqual([first.body.id, second.body.id].sort());
    });

    it('keeps them when asked (keepApiKeys: true)', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const key = await issueKey(token);
      expect((await changePassword(token, user, { keepApiKeys: true })).status).toBe(204);
      expect((await withKey(key.body.key)).status).toBe(200);
    });

    it("revokes them on an admin's password reset", async () => {
      const user = await operator();
      const key = await issueKey(await tokenFor(baseUrl, user));
      expect((await post(`/users/${user.id}/reset-password`, adminToken)).status).toBe(200);
      expect((await withKey(key.body.key)).status).toBe(401);
    });
  });

  describe('recent proof', () => {
    it('lets a fresh login enrol MFA and issue a key, and asks an older session for the password', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      expect((await issueKey(token)).status).toBe(201);
      clock.advanceMinutes(6);
      expectErrorBody(await issueKey(token), 403, 'RECENT_PROOF_REQUIRED');
      expectErrorBody(await post('/auth/mfa/totp/enroll', token), 403, 'RECENT_PROOF_REQUIRED');
      expectErrorBody(await issueKey(token, { currentPassword: 'Not-the-password-42' }), 400, 'WRONG_CURRENT_PASSWORD');
      expect((await issueKey(token, { currentPassword: user.password })).status).toBe(201);
      expect((await post('/auth/mfa/totp/enroll', token, { currentPassword: user.password })).status).toBe(201);
    });
  });

  describe('password length', () => {
    it('refuses a new password over 256 characters, and takes one of 256 without holding the event loop', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const long = (length: number) => `${strongPassword()}${'x7Q!'.repeat(80)}`.slice(0, length);
      const refused = await changePassword(token, user, { newPassword: long(257) });
      expectErrorBody(refused, 400, 'WEAK_PASSWORD');
      expect(refused.body).toMatchObject({ message: expect.stringContaining('at most 256') });

      const started = performance.now();
      const change = changePassword(token, user, { newPassword: long(256) });
      const live = await request(baseUrl, '/health/live');
      expect(live.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(1000);
      expect((await change).status).toBe(204);
    });
  });

  describe('admin MFA reset', () => {
    const STEP_MS = 30_000;
    const totp = (secret: string) => generateSync({ secret, epoch: Math.floor(clock.now().getTime() / 1000) });

    async function mfaUser(): Promise<TestUser & { token: string }> {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const enrolled = await post<{ secret: string }>('/auth/mfa/totp/enroll', token);
      expect((await post('/auth/mfa/totp/confirm', token, { code: totp(enrolled.body.secret) })).status).toBe(200);
      clock.advance(STEP_MS);
      return { ...user, token };
    }

    it('removes a user’s TOTP and ends their sessions, audited, with an event', async () => {
      const user = await mfaUser();
      expect((await login(baseUrl, user)).status).toBe(401);
      const reset = await post(`/users/${user.id}/mfa/reset`, adminToken);
      expect(reset.status).toBe(204);
      expect((await request(baseUrl, `${API}/auth/me`, { token: user.token })).status).toBe(401);
      const again = await login(baseUrl, user);
      expect(again.status).toBe(200);
      expect(again.body.user).toMatchObject({ mfaEnabled: false });
      expect(events.payloads('users.mfa-reset', { userId: user.id })).toHaveLength(1);
      const rows = await sql(
        testApp.app,
        `SELECT action_type FROM audit_outbox WHERE resource_id = $1 AND action_type LIKE 'users.mfa%'
         UNION ALL SELECT action_type FROM audit_logs WHERE resource_id = $1 AND action_type LIKE 'users.mfa%'`,
        [user.id],
      );
      expect(rows.map((row) => row.action_type).sort()).toEqual(['users.mfa-reset', 'users.mfa.reset']);
    });

    it('answers 409 without MFA, 403 without users:manage, 401 without a token', async () => {
      const user = await operator();
      expectErrorBody(await post(`/users/${user.id}/mfa/reset`, adminToken), 409, 'MFA_NOT_ENABLED');
      const auditor = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Auditor }));
      expectErrorBody(await post(`/users/${user.id}/mfa/reset`, auditor), 403);
      expectErrorBody(await request(baseUrl, `${API}/users/${user.id}/mfa/reset`, { method: 'POST' }), 401);
    });
  });

  describe('sessions', () => {
    it('revokes the oldest session beyond SESSION_MAX_PER_USER, at login', async () => {
      const user = await operator();
      const tokens: string[] = [];
      for (let n = 0; n < 4; n++) {
        tokens.push(await tokenFor(baseUrl, user));
        clock.advance(1000);
      }
      const statuses = await Promise.all(
        tokens.map(async (token) => (await request(baseUrl, `${API}/auth/me`, { token })).status),
      );
      expect(statuses).toEqual([401, 200, 200, 200]);
      const reasons = await sql<{ revoked_reason: string | null }>(
        testApp.app,
        'SELECT revoked_reason FROM sessions WHERE user_id = $1 ORDER BY created_at',
        [user.id],
      );
      expect(reasons.map((row) => row.revoked_reason)).toEqual(['session_limit', null, null, null]);
    });

    it('removes revoked, expired and idle sessions in the scheduled cleanup, and keeps the live ones', async () => {
      const user = await operator();
      const revoked = await tokenFor(baseUrl, user);
      expect((await post('/auth/logout', revoked)).status).toBe(204);
      const stale = await tokenFor(baseUrl, user);
      clock.advanceMinutes(31);
      const live = await tokenFor(baseUrl, user);
      await testApp.app.get(SessionCleanup).run();
      const left = await sql<{ n: string }>(testApp.app, 'SELECT count(*) AS n FROM sessions WHERE user_id = $1', [
        user.id,
      ]);
      expect(left[0].n).toBe('1');
      expect((await request(baseUrl, `${API}/auth/me`, { token: live })).status).toBe(200);
      expect((await request(baseUrl, `${API}/auth/me`, { token: stale })).status).toBe(401);
      clock.advance(MINUTE);
    });
  });
});
