import { LoginAttemptsCleanup } from '../../src/auth/lockout/login-attempts-cleanup.job';
import { Role } from '../../src/rbac/role';
import { type EventRecorder, recordEvents } from '../support/events';
import { expectErrorBody, request } from '../support/http';
import { requestFrom } from '../security-monitor/monitor-support';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, login, strongPassword, type TestUser, tokenFor } from '../support/users';
import { API, clientLockRow, INVALID_CREDENTIALS, LOGIN, loginRequest, sql, userRow } from './auth-helpers';

const MINUTE = 60_000;
const WRONG = 'Wrong-password-for-sure-123';

describe('auth: a lockout that is exact and cannot be turned against the owner', () => {
  const clock = new TestClock(new Date('2031-05-01T08:00:00Z'));
  let testApp: TestApp;
  let baseUrl: string;
  let events: EventRecorder;

  beforeAll(async () => {
    testApp = await createTestApp(
      {
        // Defaults otherwise: MAX_FAILED_ATTEMPTS=5, LOCKOUT_MINUTES=15, LOCKOUT_MAX_MINUTES=240, FAILURE_RESET_MINUTES=60.
        MAX_FAILED_ATTEMPTS_PER_ACCOUNT: '12',
        PERMANENT_LOCKOUT_AFTER: '2',
        // Tests speak from several loopback addresses; the security monitor must not block them.
        SECURITY_ALLOWLIST_IPS: '127.0.0.0/8,::1',
      },
      { clock },
    );
    baseUrl = testApp.baseUrl;
    events = recordEvents(testApp.app);
  });
  afterAll(async () => {
    events.stop();
    await testApp.close();
  });

  const operator = () => createUser(testApp.app, { role: Role.Operator });
  const reasons = (userId: string) =>
    events.payloads<{ reason: string }>('auth.login.failed', { userId }).map((event) => event.reason);
  const loginFrom = (ip: string, user: { username: string }, password: string) =>
    requestFrom(ip, baseUrl, LOGIN, { method: 'POST', json: { username: user.username, password } });

  async function failFrom(ip: string, user: TestUser, times: number): Promise<void> {
    for (let attempt = 0; attempt < times; attempt++) {
      expectErrorBody(await loginFrom(ip, user, WRONG), 401);
    }
  }

  describe('exactness (the attempt is reserved before the hash runs)', () => {
    it('checks exactly 5 of 20 parallel wrong passwords, and refuses the right one inside and after the burst', async () => {
      const user = await operator();
      const burst = Array.from({ length: 20 }, () =>
        loginRequest(baseUrl, { username: user.username, password: WRONG }),
      );
      // The right password, sent once the first refusal is back: the burst's hashes are still running.
      const inside = Promise.race(burst).then(() =>
        loginRequest(baseUrl, { username: user.username, password: user.password }),
      );
      const results = await Promise.all(burst);
      for (const result of results) expectErrorBody(result, 401);
      expectErrorBody(await inside, 401);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const after = await loginRequest(baseUrl, { username: user.username, password: user.password });
      expectErrorBody(after, 401);
      expect(after.body.message).toBe(INVALID_CREDENTIALS);

      const counted = reasons(user.id);
      expect(counted.filter((reason) => reason === 'bad_password')).toHaveLength(5);
      expect(counted.filter((reason) => reason === 'locked')).toHaveLength(17);
      expect(counted).toHaveLength(22);
      expect(await clientLockRow(testApp.app, user.id)).toMatchObject({ failures: 5, in_flight: 0, lockouts: 1 });
      expect(events.payloads('auth.account.locked', { userId: user.id })).toHaveLength(1);
    });
  });

  it('lets 12 right passwords sent at once from one ip all in: the later ones wait for a free attempt', async () => {
    const user = await operator();
    const results = await Promise.all(
      Array.from({ length: 12 }, () => loginRequest(baseUrl, { username: user.username, password: user.password })),
    );
    expect(results.map((result) => result.status)).toEqual(Array<number>(12).fill(200));
    expect(await clientLockRow(testApp.app, user.id)).toBeUndefined();
  });

  describe('in-session proofs while locked', () => {
    it('refuses a password change and an MFA removal unchecked, even with the right password', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      for (let attempt = 0; attempt < 5; attempt++) {
        expectErrorBody(await loginRequest(baseUrl, { username: user.username, password: WRONG }), 401);
      }
      const before = (await userRow(testApp.app, user.id)).password_hash;
      const change = await request(baseUrl, `${API}/auth/password`, {
        method: 'POST',
        token,
        json: { currentPassword: user.password, newPassword: strongPassword() },
      });
      expectErrorBody(change, 403, 'ACCOUNT_LOCKED');
      const removal = await request(baseUrl, `${API}/auth/mfa/totp`, {
        method: 'DELETE',
        token,
        json: { password: user.password },
      });
      expectErrorBody(removal, 403, 'ACCOUNT_LOCKED');
      expect((await userRow(testApp.app, user.id)).password_hash).toBe(before);
      expect(await clientLockRow(testApp.app, user.id)).toMatchObject({ failures: 5, in_flight: 0 });
    });

    it('counts wrong current passwords like wrong logins: the fifth locks and ends the sessions', async () => {
      const user = await operator();
      const token = await tokenFor(baseUrl, user);
      const change = (currentPassword: string) =>
        request(baseUrl, `${API}/auth/password`, {
          method: 'POST',
          token,
          json: { currentPassword, newPassword: strongPassword() },
        });
      for (let attempt = 0; attempt < 4; attempt++) expectErrorBody(await change(WRONG), 400, 'WRONG_CURRENT_PASSWORD');
      expect((await request(baseUrl, `${API}/auth/me`, { token })).status).toBe(200);
      expectErrorBody(await change(WRONG), 400, 'WRONG_CURRENT_PASSWORD');
      expect((await request(baseUrl, `${API}/auth/me`, { token })).status).toBe(401);
      expectErrorBody(await loginRequest(baseUrl, { username: user.username, password: user.password }), 401);
    });
  });

  describe('per client ip', () => {
    it("locks the attacker's ip only: the owner logs in from another one", async () => {
      const user = await operator();
      await failFrom('127.0.0.2', user, 5);
      expectErrorBody(await loginFrom('127.0.0.2', user, user.password), 401);
      const owner = await loginFrom('127.0.0.3', user, user.password);
      expect(owner.status).toBe(200);
      expect(await clientLockRow(testApp.app, user.id, '127.0.0.2')).toMatchObject({ failures: 5 });
    });

    it('locks the account for every ip at MAX_FAILED_ATTEMPTS_PER_ACCOUNT failures from all ips', async () => {
      const user = await operator();
      await failFrom('127.0.0.4', user, 5);
      await failFrom('127.0.0.5', user, 5);
      await failFrom('127.0.0.6', user, 2);
      const row = await userRow(testApp.app, user.id);
      expect(row.failed_login_attempts).toBe(12);
      expect(row.locked_until).toEqual(new Date(clock.now().getTime() + 15 * MINUTE));
      expectErrorBody(await loginFrom('127.0.0.7', user, user.password), 401);
      expect(
        events.payloads<{ scope: string }>('auth.account.locked', { userId: user.id }).map((e) => e.scope),
      ).toEqual(['client', 'client', 'account']);
    });
  });

  describe('in time', () => {
    it('makes each lock in a row longer: 15, then 30 minutes', async () => {
      const user = await operator();
      await failFrom('127.0.0.8', user, 5);
      expect((await clientLockRow(testApp.app, user.id, '127.0.0.8'))?.locked_until).toEqual(
        new Date(clock.now().getTime() + 15 * MINUTE),
      );
      clock.advanceMinutes(15);
      await failFrom('127.0.0.8', user, 5);
      expect(await clientLockRow(testApp.app, user.id, '127.0.0.8')).toMatchObject({
        lockouts: 2,
        locked_until: new Date(clock.now().getTime() + 30 * MINUTE),
      });
      clock.advanceMinutes(29);
      expectErrorBody(await loginFrom('127.0.0.8', user, user.password), 401);
      clock.advanceMinutes(1);
      expect((await loginFrom('127.0.0.8', user, user.password)).status).toBe(200);
    });

    it('forgets failures FAILURE_RESET_MINUTES after the last attempt', async () => {
      const user = await operator();
      await failFrom('127.0.0.9', user, 4);
      clock.advanceMinutes(60);
      await failFrom('127.0.0.9', user, 4);
      expect(await clientLockRow(testApp.app, user.id, '127.0.0.9')).toMatchObject({ failures: 4, locked_until: null });
      expect((await userRow(testApp.app, user.id)).failed_login_attempts).toBe(4);
      expect((await loginFrom('127.0.0.9', user, user.password)).status).toBe(200);
    });

    it('counts attempts on unknown usernames per client, and the hourly cleanup forgets only finished windows', async () => {
      const nobody = { username: `nobody_${Date.now()}` };
      const unknownRow = async (ip: string) =>
        (
          await sql<{ attempts: number }>(
            testApp.app,
            'SELECT attempts FROM login_unknown_attempts WHERE client_ip = $1',
            [ip],
          )
        ).at(0);
      expectErrorBody(await loginFrom('127.0.0.21', nobody, WRONG), 401);
      expectErrorBody(await loginFrom('127.0.0.21', nobody, WRONG), 401);
      expect(await unknownRow('127.0.0.21')).toEqual({ attempts: 2 });
      // 20 at once on the client's one row: each counted once, each refused alike.
      const burst = await Promise.all(Array.from({ length: 20 }, () => loginFrom('127.0.0.21', nobody, WRONG)));
      for (const answer of burst) expectErrorBody(answer, 401);
      expect(await unknownRow('127.0.0.21')).toEqual({ attempts: 22 });
      const stale = await operator();
      await failFrom('127.0.0.22', stale, 2);
      clock.advanceMinutes(61);
      const fresh = await operator();
      await failFrom('127.0.0.22', fresh, 1);
      const locked = await operator();
      await failFrom('127.0.0.23', locked, 5);

      await testApp.app.get(LoginAttemptsCleanup).run();
      expect(await unknownRow('127.0.0.21')).toBeUndefined();
      expect(await clientLockRow(testApp.app, stale.id, '127.0.0.22')).toBeUndefined();
      expect(await clientLockRow(testApp.app, fresh.id, '127.0.0.22')).toMatchObject({ failures: 1 });
      expect(await clientLockRow(testApp.app, locked.id, '127.0.0.23')).toMatchObject({ failures: 5, lockouts: 1 });
      expectErrorBody(await loginFrom('127.0.0.23', locked, locked.password), 401);
    });

    it('settles a refusal made before any check, of an unknown username or a locked account, as a checked one is settled', async () => {
      const refusedAt = async (table: 'login_unknown_attempts' | 'login_failures', where: string, values: string[]) =>
        (
          await sql<{ at: Date | null }>(
            testApp.app,
            `SELECT last_refused_at AS at FROM ${table} WHERE ${where}`,
            values,
          )
        ).at(0)?.at;
      expectErrorBody(await loginFrom('127.0.0.24', { username: `nobody_${Date.now()}` }, WRONG), 401);
      expect(await refusedAt('login_unknown_attempts', 'client_ip = $1', ['127.0.0.24'])).toEqual(clock.now());

      const locked = await operator();
      await failFrom('127.0.0.25', locked, 5);
      expect(
        await refusedAt('login_failures', 'user_id = $1 AND client_ip = $2', [locked.id, '127.0.0.25']),
      ).toBeNull();
      clock.advanceMinutes(1);
      expectErrorBody(await loginFrom('127.0.0.25', locked, locked.password), 401);
      expect(await refusedAt('login_failures', 'user_id = $1 AND client_ip = $2', [locked.id, '127.0.0.25'])).toEqual(
        clock.now(),
      );
      expect(reasons(locked.id).at(-1)).toBe('locked');
    });

    it('never locks for good from one ip: its locks only grow longer', async () => {
      const user = await operator();
      for (let lock = 1; lock <= 3; lock++) {
        await failFrom('127.0.0.10', user, 5);
        clock.advanceMinutes(15 * lock);
      }
      expect((await userRow(testApp.app, user.id)).locked_until).toBeNull();
      expect((await loginFrom('127.0.0.10', user, user.password)).status).toBe(200);
    });

    it('locks for good after PERMANENT_LOCKOUT_AFTER account-wide locks, until unlocked', async () => {
      const user = await operator();
      for (let round = 0; round < 2; round++) {
        await failFrom(`127.0.${round + 1}.1`, user, 5);
        await failFrom(`127.0.${round + 1}.2`, user, 5);
        await failFrom(`127.0.${round + 1}.3`, user, 2);
        clock.advanceMinutes(15);
      }
      expect((await userRow(testApp.app, user.id)).locked_until).toEqual(new Date('9999-12-31T00:00:00Z'));
      expect(events.payloads<{ scope: string }>('auth.account.locked', { userId: user.id }).at(-1)?.scope).toBe(
        'permanent',
      );
      clock.advanceMinutes(24 * 60);
      expectErrorBody(await loginFrom('127.0.0.11', user, user.password), 401);

      const admin = await createUser(testApp.app, { role: Role.Admin });
      const unlocked = await request<Record<string, unknown>>(baseUrl, `${API}/users/${user.id}/unlock`, {
        method: 'POST',
        token: await tokenFor(baseUrl, admin),
      });
      expect(unlocked.status).toBe(200);
      expect(unlocked.body).toMatchObject({ failedLoginAttempts: 0, lockedUntil: null });
      expect((await login(baseUrl, user)).status).toBe(200);
    });
  });
});
