import { generateSync } from 'otplib';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, type HttpResult, request } from '../support/http';
import { type EventRecorder, recordEvents } from '../support/events';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, login, type LoginResult, strongPassword, type TestUser, tokenFor } from '../support/users';
import { API, INVALID_CREDENTIALS, loginRequest, me, sql, userRow } from './auth-helpers';

const STEP_MS = 30_000;
const RECOVERY_CODE = /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/;

interface Enrollment {
  secret: string;
  otpauthUrl: string;
  qrCodeDataUrl: string;
}

interface MfaUser extends TestUser {
  token: string;
  secret: string;
  recoveryCodes: string[];
}

/** Every property name in a JSON-like value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

describe('auth: TOTP multi-factor authentication', () => {
  const clock = new TestClock(new Date('2031-06-01T12:00:10Z'));
  let testApp: TestApp;
  let baseUrl: string;
  let events: EventRecorder;

  beforeAll(async () => {
    testApp = await createTestApp({ MFA_REQUIRED_ROLES: 'ADMIN' }, { clock });
    baseUrl = testApp.baseUrl;
    events = recordEvents(testApp.app);
  });
  afterAll(async () => {
    events.stop();
    await testApp.close();
  });

  /** The code an authenticator app (otplib, not our implementation) shows at `at` (default: the app's now). */
  const totp = (secret: string, at: Date = clock.now()) =>
    generateSync({ secret, epoch: Math.floor(at.getTime() / 1000) });
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  const post = <T = Record<string, unknown>>(path: string, token: string, json?: unknown) =>
    request<T>(baseUrl, `${API}${path}`, { method: 'POST', token, json });
  const enroll = (token: string) => post<Enrollment>('/auth/mfa/totp/enroll', token);
  const confirm = (token: string, code: string) =>
    post<{ recoveryCodes: string[] }>('/auth/mfa/totp/confirm', token, { code });
  const disable = (token: string, proof: { code?: string; password?: string }) =>
    request(baseUrl, `${API}/auth/mfa/totp`, { method: 'DELETE', token, json: proof });

  /** A user with TOTP on; the clock is then moved to the next step, past the one confirmation spent. */
  async function mfaUser(role: Role = Role.Operator): Promise<MfaUser> {
    const user = await createUser(testApp.app, { role });
    const token = await tokenFor(baseUrl, user);
    const { body } = await enroll(token);
    const confirmed = await confirm(token, totp(body.secret));
    expect(confirmed.status).toBe(200);
    clock.advance(STEP_MS);
    return { ...user, token, secret: body.secret, recoveryCodes: confirmed.body.recoveryCodes };
  }

  function expectRefused(result: HttpResult, message = INVALID_CREDENTIALS): void {
    expectErrorBody(result, 401);
    expect((result.body as { message: string }).message).toBe(message);
  }

  describe('enrollment', () => {
    it('returns a base32 secret, its otpauth URL and a PNG QR code; MFA is not on until confirmed', async () => {
      const user = await createUser(testApp.app, { role: Role.Operator });
      const token = await tokenFor(baseUrl, user);
      const result = await enroll(token);
      expect(result.status).toBe(201);
      expect(result.body).toEqual({
        secret: expect.stringMatching(/^[A-Z2-7]{32}$/),
        otpauthUrl: expect.stringMatching(/^otpauth:\/\/totp\//),
        qrCodeDataUrl: expect.stringMatching(/^data:image\/png;base64,/),
      });
      const uri = new URL(result.body.otpauthUrl);
      expect(uri.searchParams.get('secret')).toBe(result.body.secret);
      expect(uri.searchParams.get('issuer')).toBe('Sentinel');
      expect(decodeURIComponent(uri.pathname)).toBe(`/Sentinel:${user.username}`);

      expect((await me(baseUrl, token)).body.mfaEnabled).toBe(false);
      expect((await login(baseUrl, user)).status).toBe(200);
    });

    it('confirms with a code from an independent authenticator and returns 10 single-use recovery codes', async () => {
      const user = await createUser(testApp.app, { role: Role.Operator });
      const token = await tokenFor(baseUrl, user);
      const { body } = await enroll(token);
      const result = await confirm(token, totp(body.secret));
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ recoveryCodes: expect.any(Array) });
      const codes = result.body.recoveryCodes;
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(RECOVERY_CODE);

      expect((await me(baseUrl, token)).body.mfaEnabled).toBe(true);
      const stored = await sql<{ code_hash: string }>(
        testApp.app,
        'SELECT code_hash FROM user_recovery_codes WHERE user_id = $1',
        [user.id],
      );
      expect(stored).toHaveLength(10);
      for (const { code_hash: hash } of stored) {
        expect(hash).toMatch(/^[\da-f]{64}$/);
        expect(codes).not.toContain(hash);
      }
      expect(events.payloads('auth.mfa.enabled', { userId: user.id })).toHaveLength(1);

      expectErrorBody(await enroll(token), 409);
      expectErrorBody(await confirm(token, totp(body.secret)), 409);
    });

    it('refuses to confirm without an enrollment (409), with a wrong code or a malformed one (400)', async () => {
      const user = await createUser(testApp.app, { role: Role.Operator });
      const token = await tokenFor(baseUrl, user);
      expectErrorBody(await confirm(token, '123456'), 409);
      const { body } = await enroll(token);
      expectErrorBody(await confirm(token, wrongCode(totp(body.secret))), 400);
      for (const malformed of ['12345', '1234567', 'abcdef', '']) {
        expectErrorBody(await confirm(token, malformed), 400);
      }
      expectErrorBody(await post('/auth/mfa/totp/confirm', token, {}), 400);
      expect((await me(baseUrl, token)).body.mfaEnabled).toBe(false);
    });

    it('replaces the pending secret when enrollment starts again', async () => {
      const user = await createUser(testApp.app, { role: Role.Operator });
      const token = await tokenFor(baseUrl, user);
      const first = (await enroll(token)).body;
      const second = (await enroll(token)).body;
      expect(second.secret).not.toBe(first.secret);
      expectErrorBody(await confirm(token, totp(first.secret)), 400);
      expect((await confirm(token, totp(second.secret))).status).toBe(200);
    });
  });

  describe('login with MFA on', () => {
    it('asks a caller who knows the password for a code, and tells nothing to one who does not', async () => {
      const user = await mfaUser();
      expectRefused(
        await loginRequest(baseUrl, { username: user.username, password: user.password }),
        'A TOTP code or a recovery code is required',
      );
      expectRefused(await loginRequest(baseUrl, { username: user.username, password: `${user.password}-x` }));
      expectRefused(
        await loginRequest(baseUrl, {
          username: user.username,
          password: `${user.password}-x`,
          totpCode: totp(user.secret),
        }),
      );
    });

    it('accepts a valid code once: the same code again is a replay and is refused', async () => {
      const user = await mfaUser();
      const code = totp(user.secret);
      const first = await login(baseUrl, { username: user.username, password: user.password, totpCode: code });
      expect(first.status).toBe(200);
      expect(first.body.user).toMatchObject({ id: user.id, mfaEnabled: true });
      expect((await me(baseUrl, first.token!)).status).toBe(200);

      expectRefused(await loginRequest(baseUrl, { username: user.username, password: user.password, totpCode: code }));
      clock.advance(STEP_MS);
      expect((await login(baseUrl, { ...user, totpCode: totp(user.secret) })).status).toBe(200);
    });

    it('refuses the code that confirmed the enrollment', async () => {
      const user = await createUser(testApp.app, { role: Role.Operator });
      const token = await tokenFor(baseUrl, user);
      const { body } = await enroll(token);
      const code = totp(body.secret);
      expect((await confirm(token, code)).status).toBe(200);
      expectRefused(await loginRequest(baseUrl, { username: user.username, password: user.password, totpCode: code }));
    });

    it('allows one step of clock drift, not two', async () => {
      const user = await mfaUser();
      clock.advance(3 * STEP_MS);
      const oneStepOld = totp(user.secret, new Date(clock.now().getTime() - STEP_MS));
      expect((await login(baseUrl, { ...user, totpCode: oneStepOld })).status).toBe(200);

      clock.advance(3 * STEP_MS);
      const twoStepsOld = totp(user.secret, new Date(clock.now().getTime() - 2 * STEP_MS));
      expectRefused(
        await loginRequest(baseUrl, { username: user.username, password: user.password, totpCode: twoStepsOld }),
      );
      const oneStepAhead = totp(user.secret, new Date(clock.now().getTime() + STEP_MS));
      expect((await login(baseUrl, { ...user, totpCode: oneStepAhead })).status).toBe(200);
    });

    it('accepts each recovery code once, however it is typed, and says so in the event', async () => {
      const user = await mfaUser();
      const [first, second] = user.recoveryCodes;
      const used = await login(baseUrl, { username: user.username, password: user.password, recoveryCode: first });
      expect(used.status).toBe(200);
      expectRefused(
        await loginRequest(baseUrl, { username: user.username, password: user.password, recoveryCode: first }),
      );
      const retyped = second.toUpperCase().replaceAll('-', '');
      expect((await login(baseUrl, { ...user, recoveryCode: retyped })).status).toBe(200);
      expectRefused(
        await loginRequest(baseUrl, { username: user.username, password: user.password, recoveryCode: second }),
      );

      expect(events.payloads('auth.login.succeeded', { sessionId: used.sessionId })).toEqual([
        expect.objectContaining({ userId: user.id, usedRecoveryCode: true }),
      ]);
      const [row] = await sql<{ unused: string }>(
        testApp.app,
        'SELECT count(*) FILTER (WHERE used_at IS NULL) AS unused FROM user_recovery_codes WHERE user_id = $1',
        [user.id],
      );
      expect(Number(row.unused)).toBe(8);
    });

    it("refuses another user's recovery code", async () => {
      const [alice, bob] = [await mfaUser(), await mfaUser()];
      expectRefused(
        await loginRequest(baseUrl, {
          username: alice.username,
          password: alice.password,
          recoveryCode: bob.recoveryCodes[0],
        }),
      );
    });

    it('counts a wrong code as a failed attempt: five lock the account', async () => {
      const user = await mfaUser();
      for (let attempt = 0; attempt < 4; attempt++) {
        const totpCode = wrongCode(totp(user.secret));
        expectRefused(await loginRequest(baseUrl, { username: user.username, password: user.password, totpCode }));
      }
      expectRefused(
        await loginRequest(baseUrl, {
          username: user.username,
          password: user.password,
          recoveryCode: 'aaaa-bbbb-cccc-dddd',
        }),
      );
      expect((await userRow(testApp.app, user.id)).failed_login_attempts).toBe(5);
      expect(
        events.payloads<{ reason: string }>('auth.login.failed', { userId: user.id }).map((event) => event.reason),
      ).toEqual(Array<string>(5).fill('bad_mfa_code'));
      expect(events.payloads('auth.account.locked', { userId: user.id })).toHaveLength(1);

      expectRefused(
        await loginRequest(baseUrl, { username: user.username, password: user.password, totpCode: totp(user.secret) }),
      );
      clock.advanceMinutes(16);
      expect((await login(baseUrl, { ...user, totpCode: totp(user.secret) })).status).toBe(200);
    });
  });

  describe('DELETE /auth/mfa/totp', () => {
    it('needs the password: a wrong one or none is a 400 and MFA stays on', async () => {
      const user = await mfaUser();
      expectErrorBody(await disable(user.token, { password: `${user.password}-x` }), 400);
      expectErrorBody(await disable(user.token, {}), 400);
      expectErrorBody(await disable(user.token, { code: 'abc' }), 400);
      expect((await me(baseUrl, user.token)).body.mfaEnabled).toBe(true);
    });

    it('turns MFA off with the password: login needs no code and the recovery codes are gone', async () => {
      const user = await mfaUser();
      expect((await disable(user.token, { password: user.password })).status).toBe(204);
      expect((await me(baseUrl, user.token)).body.mfaEnabled).toBe(false);
      expect((await login(baseUrl, user)).status).toBe(200);
      const codes = await sql(testApp.app, 'SELECT 1 FROM user_recovery_codes WHERE user_id = $1', [user.id]);
      expect(codes).toHaveLength(0);
      expect((await userRow(testApp.app, user.id)).totp_secret).toBeNull();
      expect(events.payloads('auth.mfa.disabled', { userId: user.id })).toHaveLength(1);
      expectErrorBody(await disable(user.token, { password: user.password }), 409);
    });

    it('turns MFA off with a current code, which is then spent', async () => {
      const user = await mfaUser();
      const code = totp(user.secret);
      expectErrorBody(await disable(user.token, { code: wrongCode(code) }), 400);
      expect((await disable(user.token, { code })).status).toBe(204);
      expect((await me(baseUrl, user.token)).body.mfaEnabled).toBe(false);
    });
  });

  describe('MFA_REQUIRED_ROLES=ADMIN', () => {
    it('confines an ADMIN without MFA to enrollment, /auth/me, password and logout, until enrolled', async () => {
      const admin = await createUser(testApp.app, { role: Role.Admin });
      const token = await tokenFor(baseUrl, admin);
      const spare = await tokenFor(baseUrl, admin);
      expect((await me(baseUrl, token)).status).toBe(200);

      const refused = [
        await request(baseUrl, `${API}/auth/sessions`, { token }),
        await request(baseUrl, `${API}/users`, { token }),
        await request(baseUrl, `${API}/proposals`, { token }),
        await disable(token, { password: admin.password }),
      ];
      for (const result of refused) {
        expectErrorBody(result, 403);
        expect((result.body as { message: string }).message).toMatch(/MFA enrollment required/);
      }

      expect((await post('/auth/logout', spare)).status).toBe(204);
      const newPassword = strongPassword();
      expect((await post('/auth/password', token, { currentPassword: admin.password, newPassword })).status).toBe(204);

      const { body } = await enroll(token);
      expect((await confirm(token, totp(body.secret))).status).toBe(200);
      expect((await request(baseUrl, `${API}/auth/sessions`, { token })).status).toBe(200);
      expect((await request(baseUrl, `${API}/users`, { token })).status).toBe(200);
    });

    it('leaves other roles free to use the API without MFA', async () => {
      const token = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Operator }));
      expect((await request(baseUrl, `${API}/auth/sessions`, { token })).status).toBe(200);
      expect((await request(baseUrl, `${API}/proposals`, { token })).status).toBe(200);
    });
  });

  it('never puts a password, hash, token, TOTP secret or recovery code in an event, /auth/me or /auth/sessions', async () => {
    const recorder = recordEvents(testApp.app);
    const user = await createUser(testApp.app, { role: Role.Operator });
    const secrets: string[] = [user.password];
    const hashes = [(await userRow(testApp.app, user.id)).password_hash];
    const remember = (result: LoginResult) => {
      expect(result.status).toBe(200);
      secrets.push(result.token!);
      return result.token!;
    };

    const wrongPassword = `${user.password}-typo`;
    secrets.push(wrongPassword);
    expectRefused(await loginRequest(baseUrl, { username: user.username, password: wrongPassword }));
    let token = remember(await login(baseUrl, user));

    const newPassword = strongPassword();
    secrets.push(newPassword);
    expect((await post('/auth/password', token, { currentPassword: user.password, newPassword })).status).toBe(204);
    hashes.push((await userRow(testApp.app, user.id)).password_hash);

    const enrollment = (await enroll(token)).body;
    secrets.push(enrollment.secret, enrollment.otpauthUrl);
    const { recoveryCodes } = (await confirm(token, totp(enrollment.secret))).body;
    secrets.push(...recoveryCodes, ...recoveryCodes.map((code) => code.replaceAll('-', '')));
    clock.advance(STEP_MS);

    const credentials = { username: user.username, password: newPassword };
    token = remember(await login(baseUrl, { ...credentials, totpCode: totp(enrollment.secret) }));
    const recovered = remember(await login(baseUrl, { ...credentials, recoveryCode: recoveryCodes[0] }));
    expectRefused(await loginRequest(baseUrl, { ...credentials, recoveryCode: recoveryCodes[0] }));
    expect((await post('/auth/logout', recovered)).status).toBe(204);

    const profile = await me(baseUrl, token);
    const sessions = await request(baseUrl, `${API}/auth/sessions`, { token });
    expect((await disable(token, { password: newPassword })).status).toBe(204);
    recorder.stop();

    expect(new Set(recorder.events.map((event) => event.name))).toEqual(
      new Set([
        'auth.login.failed',
        'auth.login.succeeded',
        'auth.password.changed',
        'auth.mfa.enabled',
        'auth.session.revoked',
        'auth.mfa.disabled',
        'auth.mfa.recovery-code-used',
      ]),
    );
    const published = [recorder.events, profile.body, sessions.body];
    for (const value of published) {
      const text = JSON.stringify(value);
      for (const secret of [...secrets, ...hashes]) expect(text).not.toContain(secret);
      for (const key of keysOf(value))
        expect(key).not.toMatch(/hash|secret|token|^(current|new)?password$|^(totp|recovery)?codes?$/i);
    }
  });
});
