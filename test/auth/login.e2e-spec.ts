import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { decode } from 'jsonwebtoken';
import { Role } from '../../src/rbac/role';
import { expectErrorBody } from '../support/http';
import { type EventRecorder, publishedEvent, recordEvents } from '../support/events';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, login, type TestUser } from '../support/users';
import { clientLockRow, INVALID_CREDENTIALS, loginRequest, me, sql, userRow, UUID } from './auth-helpers';

const MINUTE = 60_000;

describe('auth: login and brute-force lockout', () => {
  const clock = new TestClock(new Date('2031-03-01T09:00:00Z'));
  let testApp: TestApp;
  let baseUrl: string;
  let events: EventRecorder;

  beforeAll(async () => {
    // Defaults: MAX_FAILED_ATTEMPTS=5, LOCKOUT_MINUTES=15, SESSION_TTL_HOURS=24.
    testApp = await createTestApp({}, { clock });
    baseUrl = testApp.baseUrl;
    events = recordEvents(testApp.app);
  });
  afterAll(async () => {
    events.stop();
    await testApp.close();
  });

  const operator = () => createUser(testApp.app, { role: Role.Operator });

  async function expectRefused(credentials: Record<string, unknown>): Promise<void> {
    const result = await loginRequest(baseUrl, credentials);
    expectErrorBody(result, 401);
    expect(result.body.message).toBe(INVALID_CREDENTIALS);
  }

  async function failTimes(user: TestUser, times: number): Promise<void> {
    for (let attempt = 0; attempt < times; attempt++) {
      await expectRefused({ username: user.username, password: `${user.password}-wrong` });
    }
  }

  const failureReasons = (userId: string) =>
    events.payloads<{ reason: string }>('auth.login.failed', { userId }).map((event) => event.reason);

  describe('success', () => {
    it('returns a bearer token for a new session, its expiry and the user', async () => {
      const user = await operator();
      const result = await loginRequest(baseUrl, { username: user.username, password: user.password });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresAt: new Date(clock.now().getTime() + 24 * 60 * MINUTE).toISOString(),
        refreshToken: expect.stringMatching(/^srt_/),
        refreshExpiresAt: new Date(clock.now().getTime() + 24 * 60 * MINUTE).toISOString(),
        sessionId: expect.stringMatching(UUID),
        user: { id: user.id, username: user.username, role: 'OPERATOR', mustChangePassword: false, mfaEnabled: false },
      });

      const token = decode(result.body.accessToken as string, { complete: true });
      expect(token?.header).toMatchObject({ alg: 'EdDSA', kid: expect.any(String) });
      expect(token?.payload).toMatchObject({
        sub: user.id,
        jti: result.body.sessionId,
        iss: 'sentinel',
        aud: 'sentinel-api',
      });
      expect((await me(baseUrl, result.body.accessToken as string)).status).toBe(200);
    });

    it('records the login time (by the app clock) and ip on the user, and emits auth.login.succeeded', async () => {
      const user = await operator();
      const result = await login(baseUrl, user);
      const row = await userRow(testApp.app, user.id);
      expect(row.last_login_at).toEqual(clock.now());
      expect(row.last_login_ip).toBe('127.0.0.1');
      expect((await me(baseUrl, result.token!)).body.lastLoginAt).toBe(clock.now().toISOString());
      expect(events.payloads('auth.login.succeeded', { userId: user.id })).toEqual([
        publishedEvent(
          { userId: user.id, username: user.username, sessionId: result.sessionId, usedRecoveryCode: false },
          expect.objectContaining({ ip: '127.0.0.1' }),
        ),
      ]);
    });

    it('matches the username case-insensitively and answers with the stored spelling', async () => {
      const user = await createUser(testApp.app, {
        role: Role.Auditor,
        username: `Mixed_Case_${randomBytes(3).toString('hex')}`,
      });
      for (const spelling of [user.username.toUpperCase(), user.username.toLowerCase()]) {
        const result = await loginRequest(baseUrl, { username: spelling, password: user.password });
        expect(result.status).toBe(200);
        expect(result.body.user).toMatchObject({ id: user.id, username: user.username });
      }
    });

    it('upgrades a PBKDF2 hash with fewer iterations than configured at the next login', async () => {
      const user = await operator();
      const salt = randomBytes(16);
      const legacy = `pbkdf2-sha256$i=1000$${salt.toString('base64')}$${pbkdf2Sync(user.password, salt, 1000, 32, 'sha256').toString('base64')}`;
      await sql(testApp.app, 'UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, legacy]);

      await expectRefused({ username: user.username, password: `${user.password}-wrong` });
      expect((await userRow(testApp.app, user.id)).password_hash).toBe(legacy);

      expect((await login(baseUrl, user)).status).toBe(200);
      const upgraded = (await userRow(testApp.app, user.id)).password_hash;
      expect(upgraded).toMatch(/^pbkdf2-sha256\$i=100000\$/);
      expect((await login(baseUrl, user)).status).toBe(200);
      await expectRefused({ username: user.username, password: `${user.password}-wrong` });
    });
  });

  describe('refusal', () => {
    it('gives unknown users, wrong passwords, locked and deactivated accounts the same 401', async () => {
      const wrongPassword = await operator();
      const deactivated = await createUser(testApp.app, { role: Role.Operator, isActive: false });
      const locked = await operator();
      await sql(testApp.app, `UPDATE users SET failed_login_attempts = 5, locked_until = $2 WHERE id = $1`, [
        locked.id,
        new Date(clock.now().getTime() + 10 * MINUTE),
      ]);
      const unknown = `nobody_${randomBytes(4).toString('hex')}`;

      const results = await Promise.all([
        loginRequest(baseUrl, { username: unknown, password: 'Some-password-that-is-long' }),
        loginRequest(baseUrl, { username: wrongPassword.username, password: 'Some-password-that-is-long' }),
        // The right passwords: neither the lock nor the deactivation may show through.
        loginRequest(baseUrl, { username: locked.username, password: locked.password }),
        loginRequest(baseUrl, { username: deactivated.username, password: deactivated.password }),
      ]);
      for (const result of results) {
        expectErrorBody(result, 401);
        expect({ error: result.body.error, message: result.body.message }).toEqual({
          error: 'Unauthorized',
          message: INVALID_CREDENTIALS,
        });
      }

      expect(events.payloads('auth.login.failed', { username: unknown })).toEqual([
        expect.objectContaining({ reason: 'unknown_user', userId: undefined }),
      ]);
      expect(failureReasons(wrongPassword.id)).toEqual(['bad_password']);
      expect(failureReasons(locked.id)).toEqual(['locked']);
      expect(failureReasons(deactivated.id)).toEqual(['inactive']);
    });

    it.each<[string, (user: TestUser) => unknown]>([
      ['an empty body', () => ({})],
      ['a missing password', (user) => ({ username: user.username })],
      ['a missing username', (user) => ({ password: user.password })],
      ['an extra field', (user) => ({ username: user.username, password: user.password, role: 'ADMIN' })],
      ['a numeric username', (user) => ({ username: 42, password: user.password })],
      ['an empty username', (user) => ({ username: '', password: user.password })],
      ['a password array', (user) => ({ username: user.username, password: [user.password] })],
      ['an over-long username', (user) => ({ username: 'u'.repeat(65), password: user.password })],
      ['a numeric TOTP code', (user) => ({ username: user.username, password: user.password, totpCode: 123456 })],
    ])('refuses %s with 400, without counting a failed attempt', async (_label, body) => {
      const user = await operator();
      for (let attempt = 0; attempt < 6; attempt++) {
        expectErrorBody(await loginRequest(baseUrl, body(user)), 400);
      }
      const row = await userRow(testApp.app, user.id);
      expect(row.failed_login_attempts).toBe(0);
      expect(row.locked_until).toBeNull();
      expect(failureReasons(user.id)).toEqual([]);
      expect((await login(baseUrl, user)).status).toBe(200);
    });
  });

  describe('lockout', () => {
    it('refuses the right password from that ip after 5 failures, until LOCKOUT_MINUTES have passed', async () => {
      const user = await operator();
      await failTimes(user, 5);
      const lockedAt = clock.now();
      const row = await userRow(testApp.app, user.id);
      expect(row.failed_login_attempts).toBe(5);
      // Locked for this client only: the account itself stays open to its owner elsewhere.
      expect(row.locked_until).toBeNull();
      expect(await clientLockRow(testApp.app, user.id)).toEqual({
        failures: 5,
        in_flight: 0,
        locked_until: new Date(lockedAt.getTime() + 15 * MINUTE),
        lockouts: 1,
      });

      await expectRefused({ username: user.username, password: user.password });
      clock.advanceMinutes(14);
      await expectRefused({ username: user.username, password: user.password });
      clock.advanceMinutes(1);
      clock.advance(1);
      const result = await login(baseUrl, user);
      expect(result.status).toBe(200);

      const after = await userRow(testApp.app, user.id);
      expect(after.failed_login_attempts).toBe(0);
      expect(after.locked_until).toBeNull();
      expect(await clientLockRow(testApp.app, user.id)).toBeUndefined();
    });

    it('emits auth.login.failed for every failure and auth.account.locked once, at the fifth', async () => {
      const user = await operator();
      await failTimes(user, 4);
      expect(events.payloads('auth.account.locked', { userId: user.id })).toEqual([]);
      await failTimes(user, 1);
      await expectRefused({ username: user.username, password: user.password });

      expect(failureReasons(user.id)).toEqual([...Array<string>(5).fill('bad_password'), 'locked']);
      expect(events.payloads('auth.account.locked', { userId: user.id })).toEqual([
        publishedEvent(
          {
            userId: user.id,
            username: user.username,
            failedAttempts: 5,
            lockedUntil: new Date(clock.now().getTime() + 15 * MINUTE),
            scope: 'client',
          },
          { ip: '127.0.0.1', userAgent: expect.any(String), traceId: expect.any(String), actor: undefined },
        ),
      ]);
    });

    it('resets the count on success: 4 failures, a success, 4 failures do not lock', async () => {
      const user = await operator();
      await failTimes(user, 4);
      expect((await login(baseUrl, user)).status).toBe(200);
      expect((await userRow(testApp.app, user.id)).failed_login_attempts).toBe(0);
      await failTimes(user, 4);
      expect((await login(baseUrl, user)).status).toBe(200);
      expect(events.payloads('auth.account.locked', { userId: user.id })).toEqual([]);
    });

    it('locks on 5 failures that arrive at the same time (one atomic count)', async () => {
      const user = await operator();
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          loginRequest(baseUrl, { username: user.username, password: 'Wrong-password-123' }),
        ),
      );
      for (const result of results) expectErrorBody(result, 401);

      expect((await userRow(testApp.app, user.id)).failed_login_attempts).toBe(5);
      expect((await clientLockRow(testApp.app, user.id))?.locked_until).not.toBeNull();
      expect(events.payloads('auth.account.locked', { userId: user.id })).toHaveLength(1);
      await expectRefused({ username: user.username, password: user.password });
    });

    it('starts a fresh count after a lock has run out, instead of locking again at the next failure', async () => {
      const user = await operator();
      await failTimes(user, 5);
      clock.advanceMinutes(16);
      await failTimes(user, 1);
      const row = await clientLockRow(testApp.app, user.id);
      expect(row).toMatchObject({ failures: 1, locked_until: null });
      // One ip adds at most its first five of a window to the account-wide count.
      expect((await userRow(testApp.app, user.id)).failed_login_attempts).toBe(5);
      expect((await login(baseUrl, user)).status).toBe(200);
    });
  });
});
