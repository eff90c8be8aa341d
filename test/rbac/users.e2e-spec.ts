import { publishedEvent, recordEvents } from '../support/events';
import type { SessionDto } from '../../src/auth/dto/session.dto';
import type { CreatedUserDto, UserDto } from '../../src/auth/users/dto/user.dto';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, login, strongPassword, type TestUser, tokenFor } from '../support/users';
import { API, createUserViaApi, expectNoSecrets, expectStatus, getUser, type Page, unique } from './rbac-fixtures';

const PASSWORD_CHANGE_REQUIRED = 'Password change required: POST /api/v1/auth/password before anything else';
const MISSING_ID = '5b0c1b8e-2a3b-4c5d-8e9f-0a1b2c3d4e5f';

describe('users: administration', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let admin: TestUser;
  let adminToken: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    baseUrl = testApp.baseUrl;
    admin = await createUser(testApp.app, { role: 'ADMIN' });
    adminToken = await tokenFor(baseUrl, admin);
  });
  afterAll(() => testApp.close());

  const patchUser = (id: string, json: Record<string, unknown>, token = adminToken) =>
    request<UserDto>(baseUrl, `${API}/users/${id}`, { method: 'PATCH', token, json });
  const agentsAs = (token: string) => request(baseUrl, `${API}/agents`, { token });

  /** Logs in and proves the account is confined to the password change until it makes one. */
  async function expectConfinedUntilPasswordChange(username: string, password: string): Promise<void> {
    const first = await login(baseUrl, { username, password });
    expect(first.status).toBe(200);
    expect(first.body.user).toMatchObject({ username, mustChangePassword: true });
    const token = first.token!;
    const confined = await agentsAs(token);
    expectErrorBody(confined, 403);
    expect((confined.body as { message: string }).message).toBe(PASSWORD_CHANGE_REQUIRED);
    expect((await request(baseUrl, `${API}/auth/me`, { token })).status).toBe(200);
    const newPassword = strongPassword();
    const changed = await request(baseUrl, `${API}/auth/password`, {
      method: 'POST',
      token,
      json: { currentPassword: password, newPassword },
    });
    expect(changed.status).toBe(204);
    expect((await agentsAs(token)).status).toBe(200);
    expect((await login(baseUrl, { username, password: newPassword })).status).toBe(200);
  }

  describe('creating', () => {
    it('creates a user with the given password, which must still be changed at first login', async () => {
      const password = strongPassword();
      const events = recordEvents(testApp.app, 'users.');
      const created = await createUserViaApi(baseUrl, adminToken, { password, displayName: 'Given Password' });
      events.stop();
      expectNoSecrets(created);
      expect(created).not.toHaveProperty('temporaryPassword');
      expect(created.user).toMatchObject({
        role: 'OPERATOR',
        displayName: 'Given Password',
        isActive: true,
        mustChangePassword: true,
        mfaEnabled: false,
      });
      expect(events.events).toEqual([
        {
          name: 'users.created',
          payload: publishedEvent({
            actorId: admin.id,
            userId: created.user.id,
            username: created.user.username,
            changes: { role: 'OPERATOR' },
          }),
        },
      ]);
      await expectConfinedUntilPasswordChange(created.user.username, password);
      expect((await getUser(baseUrl, adminToken, created.user.id)).mustChangePassword).toBe(false);
    });

    it('generates a temporary password when none is given, returns it once, and requires a change', async () => {
      const created = await createUserViaApi(baseUrl, adminToken, { role: 'AUDITOR' });
      expect(created.temporaryPassword).toEqual(expect.stringMatching(/^[\w-]{24}$/));
      const fetched = await getUser(baseUrl, adminToken, created.user.id);
      expectNoSecrets(fetched);
      expect(JSON.stringify(fetched)).not.toContain(created.temporaryPassword);
      const listed = await request(baseUrl, `${API}/users?q=${created.user.username}`, { token: adminToken });
      expect(JSON.stringify(listed.body)).not.toContain(created.temporaryPassword);
      await expectConfinedUntilPasswordChange(created.user.username, created.temporaryPassword!);
    });

    it('refuses a password that fails the policy, and creates nothing', async () => {
      const username = unique('weak');
      const result = await request(baseUrl, `${API}/users`, {
        method: 'POST',
        token: adminToken,
        json: { username, email: `${username}@example.test`, role: 'AUDITOR', password: 'password123' },
      });
      expectErrorBody(result, 400);
      const listed = await request<Page<UserDto>>(baseUrl, `${API}/users?q=${username}`, { token: adminToken });
      expect(listed.body.total).toBe(0);
    });

    it('refuses a username or email already in use, ignoring case, with 409', async () => {
      const existing = await createUserViaApi(baseUrl, adminToken);
      const post = (json: Record<string, unknown>) =>
        request(baseUrl, `${API}/users`, { method: 'POST', token: adminToken, json: { role: 'AUDITOR', ...json } });
      const otherName = unique('other');
      expectErrorBody(
        await post({ username: existing.user.username.toUpperCase(), email: `${otherName}@example.test` }),
        409,
      );
      expectErrorBody(await post({ username: otherName, email: existing.user.email.toUpperCase() }), 409);
      const other = await createUserViaApi(baseUrl, adminToken);
      expectErrorBody(await patchUser(other.user.id, { email: existing.user.email.toUpperCase() }), 409);
    });

    it('validates the body with 400', async () => {
      const post = (json: Record<string, unknown>) =>
        request(baseUrl, `${API}/users`, { method: 'POST', token: adminToken, json });
      const username = unique('valid');
      const valid = { username, email: `${username}@example.test`, role: 'AUDITOR' };
      expectErrorBody(await post({ ...valid, username: 'no spaces allowed' }), 400);
      expectErrorBody(await post({ ...valid, username: 'ab' }), 400);
      expectErrorBody(await post({ ...valid, email: 'not-an-email' }), 400);
      expectErrorBody(await post({ ...valid, role: 'ROOT' }), 400);
      expectErrorBody(await post({ ...valid, isActive: false }), 400);
      expectErrorBody(await post({ ...valid, passwordHash: 'x' }), 400);
      expectErrorBody(await post({ email: valid.email, role: 'AUDITOR' }), 400);
    });
  });

  describe('reading', () => {
    it('lists users filtered by role, active flag and text, paginated', async () => {
      const tag = unique('tag').replace('-', '');
      const make = (role: string, name: string) =>
        createUserViaApi(baseUrl, adminToken, {
          role,
          username: `${tag}-${name}`,
          email: `${name}.${tag}@example.test`,
        });
      const alice = await make('OPERATOR', 'alice');
      const bob = await make('AUDITOR', 'bob');
      const carol = await make('OPERATOR', 'carol');
      expectStatus(await patchUser(carol.user.id, { isActive: false }), 200);
      const list = async (query: string) => {
        const result = await request<Page<UserDto>>(baseUrl, `${API}/users?${query}`, { token: adminToken });
        expectStatus(result, 200);
        result.body.items.forEach(expectNoSecrets);
        return result.body;
      };
      const names = (page: Page<UserDto>) => page.items.map((user) => user.username);

      expect(names(await list(`q=${tag}`))).toEqual([alice, bob, carol].map((user) => user.user.username));
      expect(names(await list(`q=${tag.toUpperCase()}&role=OPERATOR`))).toEqual([
        alice.user.username,
        carol.user.username,
      ]);
      expect(names(await list(`q=${tag}&active=false`))).toEqual([carol.user.username]);
      expect(names(await list(`q=${tag}&active=true&role=AUDITOR`))).toEqual([bob.user.username]);
      expect(names(await list(`q=bob.${tag}`))).toEqual([bob.user.username]);
      // The text is matched literally: % and _ are not wildcards.
      expect((await list(`q=${encodeURIComponent('%')}`)).total).toBe(0);

      const first = await list(`q=${tag}&limit=2`);
      expect(first).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(names(first)).toEqual([alice.user.username, bob.user.username]);
      const second = await list(`q=${tag}&limit=2&offset=2`);
      expect(second).toMatchObject({ total: 3, limit: 2, offset: 2 });
      expect(names(second)).toEqual([carol.user.username]);

      for (const bad of ['limit=101', 'limit=0', 'offset=-1', 'active=yes', 'role=ROOT', 'limit=ten']) {
        expectErrorBody(await request(baseUrl, `${API}/users?${bad}`, { token: adminToken }), 400);
      }
    });

    it('gets one user, 404 for an unknown id and 400 for a malformed one', async () => {
      const created = await createUserViaApi(baseUrl, adminToken);
      const fetched = await getUser(baseUrl, adminToken, created.user.id);
      expect(fetched).toEqual(created.user);
      expectNoSecrets(fetched);
      expectErrorBody(await request(baseUrl, `${API}/users/${MISSING_ID}`, { token: adminToken }), 404);
      expectErrorBody(await request(baseUrl, `${API}/users/not-a-uuid`, { token: adminToken }), 400);
    });
  });

  describe('changing', () => {
    it('changes email and display name, and refuses unknown fields', async () => {
      const created = await createUserViaApi(baseUrl, adminToken);
      const email = `${unique('new')}@example.test`;
      const changed = await patchUser(created.user.id, { email, displayName: 'New Name' });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ email, displayName: 'New Name' });
      expectNoSecrets(changed.body);
      expectErrorBody(await patchUser(created.user.id, { passwordHash: 'x' }), 400);
      expectErrorBody(await patchUser(created.user.id, { username: 'renamed' }), 400);
      expectErrorBody(await patchUser(created.user.id, { role: 'ROOT' }), 400);
      expectErrorBody(await patchUser(MISSING_ID, { displayName: 'Nobody' }), 404);
    });

    it('refuses null for a field that cannot be empty, with 400 and not a 500', async () => {
      const created = await createUserViaApi(baseUrl, adminToken);
      expectErrorBody(await patchUser(created.user.id, { email: null }), 400);
      expectErrorBody(await patchUser(created.user.id, { role: null }), 400);
      expectErrorBody(await patchUser(created.user.id, { isActive: null }), 400);
      // display name is optional: null clears it.
      const cleared = await patchUser(created.user.id, { displayName: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.displayName).toBeNull();
    });

    it('ends the sessions of a user whose role changes, at once', async () => {
      const user = await createUser(testApp.app, { role: 'OPERATOR' });
      const token = await tokenFor(baseUrl, user);
      expect((await agentsAs(token)).status).toBe(200);
      const changed = await patchUser(user.id, { role: 'AUDITOR' });
      expect(changed.body.role).toBe('AUDITOR');
      expectErrorBody(await agentsAs(token), 401);
      const again = await login(baseUrl, pick(user));
      expect(again.body.user).toMatchObject({ role: 'AUDITOR' });
    });

    it('deactivates a user: their token stops working and they cannot log in, until reactivated', async () => {
      const user = await createUser(testApp.app, { role: 'OPERATOR' });
      const token = await tokenFor(baseUrl, user);
      expect((await patchUser(user.id, { isActive: false })).body.isActive).toBe(false);
      expectErrorBody(await agentsAs(token), 401);
      expectErrorBody(await request(baseUrl, `${API}/auth/login`, { method: 'POST', json: pick(user) }), 401);
      expect((await patchUser(user.id, { isActive: true })).body.isActive).toBe(true);
      expect((await login(baseUrl, pick(user))).status).toBe(200);
    });

    it('resets a password to a temporary one: the old password and token stop working', async () => {
      const user = await createUser(testApp.app, { role: 'OPERATOR' });
      const token = await tokenFor(baseUrl, user);
      const reset = await request<{ temporaryPassword: string }>(baseUrl, `${API}/users/${user.id}/reset-password`, {
        method: 'POST',
        token: adminToken,
      });
      expect(reset.status).toBe(200);
      expect(reset.body).toEqual({ temporaryPassword: expect.stringMatching(/^[\w-]{24}$/) });
      expectErrorBody(await agentsAs(token), 401);
      expect((await login(baseUrl, pick(user))).status).toBe(401);
      await expectConfinedUntilPasswordChange(user.username, reset.body.temporaryPassword);
      expectErrorBody(
        await request(baseUrl, `${API}/users/${MISSING_ID}/reset-password`, { method: 'POST', token: adminToken }),
        404,
      );
    });

    it('unlocks a user locked out by failed logins', async () => {
      const user = await createUser(testApp.app, { role: 'AUDITOR' });
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await login(baseUrl, { username: user.username, password: 'Wrong-password-123!' })).status).toBe(401);
      }
      expect((await login(baseUrl, pick(user))).status).toBe(401);
      const locked = await getUser(baseUrl, adminToken, user.id);
      expect(locked.failedLoginAttempts).toBe(5);
      expect(locked.lockedUntil).not.toBeNull();

      const unlocked = await request<UserDto>(baseUrl, `${API}/users/${user.id}/unlock`, {
        method: 'POST',
        token: adminToken,
      });
      expect(unlocked.status).toBe(200);
      expect(unlocked.body).toMatchObject({ id: user.id, failedLoginAttempts: 0, lockedUntil: null });
      expectNoSecrets(unlocked.body);
      expect((await login(baseUrl, pick(user))).status).toBe(200);
      expectErrorBody(
        await request(baseUrl, `${API}/users/${MISSING_ID}/unlock`, { method: 'POST', token: adminToken }),
        404,
      );
    });
  });

  describe('sessions', () => {
    it('lists a user’s open sessions and ends them all', async () => {
      const user = await createUser(testApp.app, { role: 'OPERATOR' });
      const first = await login(baseUrl, pick(user));
      const second = await login(baseUrl, pick(user));
      const sessionsPath = `${API}/users/${user.id}/sessions`;
      const listed = await request<SessionDto[]>(baseUrl, sessionsPath, { token: adminToken });
      expect(listed.status).toBe(200);
      expect(listed.body.map((session) => session.id).sort()).toEqual([first.sessionId, second.sessionId].sort());
      expect(listed.body.every((session) => !session.current)).toBe(true);

      const ended = await request(baseUrl, sessionsPath, { method: 'DELETE', token: adminToken });
      expect(ended.status).toBe(204);
      expectErrorBody(await agentsAs(first.token!), 401);
      expectErrorBody(await agentsAs(second.token!), 401);
      expect((await request(baseUrl, sessionsPath, { token: adminToken })).body).toEqual([]);

      const missing = `${API}/users/${MISSING_ID}/sessions`;
      expectErrorBody(await request(baseUrl, missing, { token: adminToken }), 404);
      expectErrorBody(await request(baseUrl, missing, { method: 'DELETE', token: adminToken }), 404);
    });
  });

  describe('deleting', () => {
    it('deletes a user: gone from the API, cannot log in, token dead', async () => {
      const user = await createUser(testApp.app, { role: 'OPERATOR' });
      const token = await tokenFor(baseUrl, user);
      const events = recordEvents(testApp.app, 'users.');
      const deleted = await request(baseUrl, `${API}/users/${user.id}`, { method: 'DELETE', token: adminToken });
      events.stop();
      expect(deleted.status).toBe(204);
      expect(events.events).toEqual([
        {
          name: 'users.deleted',
          payload: publishedEvent({
            actorId: admin.id,
            userId: user.id,
            username: user.username,
            changes: {},
          }),
        },
      ]);
      expectErrorBody(await request(baseUrl, `${API}/users/${user.id}`, { token: adminToken }), 404);
      expectErrorBody(await agentsAs(token), 401);
      expect((await login(baseUrl, pick(user))).status).toBe(401);
      expectErrorBody(await request(baseUrl, `${API}/users/${user.id}`, { method: 'DELETE', token: adminToken }), 404);
    });

    it('refuses to let anyone delete themselves', async () => {
      expectErrorBody(await request(baseUrl, `${API}/users/${admin.id}`, { method: 'DELETE', token: adminToken }), 409);
      expect((await getUser(baseUrl, adminToken, admin.id)).isActive).toBe(true);
    });
  });

  it('never returns a password hash or TOTP material from any user route', async () => {
    const created: CreatedUserDto = await createUserViaApi(baseUrl, adminToken);
    const bodies = [
      created,
      (await request(baseUrl, `${API}/users`, { token: adminToken })).body,
      (await patchUser(created.user.id, { displayName: 'Checked' })).body,
      (await request(baseUrl, `${API}/users/${created.user.id}/unlock`, { method: 'POST', token: adminToken })).body,
    ];
    bodies.forEach(expectNoSecrets);
  });
});

function pick(user: TestUser): { username: string; password: string } {
  return { username: user.username, password: user.password };
}
