import { expectErrorBody, request } from '../support/http';
import { createTestApp, TEST_ADMIN_PASSWORD, type TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { login, strongPassword } from '../support/users';
import { API, INVALID_CREDENTIALS, loginRequest, me, sql } from './auth-helpers';

const ANNOUNCEMENT = /Initial admin password \(shown once, change it at first login\): (\S+)/g;

interface AdminRow {
  username: string;
  role: string;
  must_change_password: boolean;
  password_hash: string;
}

const admins = (testApp: TestApp) =>
  sql<AdminRow>(testApp.app, 'SELECT username, role, must_change_password, password_hash FROM users');

// Apps here run one after another: passport keeps its strategies in one global registry per process.
describe('auth: the first admin', () => {
  describe('on an empty database with ADMIN_INITIAL_PASSWORD set', () => {
    let testApp: TestApp;
    let baseUrl: string;

    beforeAll(async () => {
      testApp = await createTestApp({ ADMIN_INITIAL_PASSWORD: TEST_ADMIN_PASSWORD, MFA_REQUIRED_ROLES: '' });
      baseUrl = testApp.baseUrl;
    });
    afterAll(() => testApp.close());

    it('creates `admin` (ADMIN) with that password, hashed, to be changed at first login', async () => {
      const rows = await admins(testApp);
      expect(rows).toEqual([
        {
          username: 'admin',
          role: 'ADMIN',
          must_change_password: true,
          password_hash: expect.stringMatching(/^pbkdf2-sha256\$i=100000\$/),
        },
      ]);
      expect(rows[0].password_hash).not.toContain(TEST_ADMIN_PASSWORD);

      const result = await login(baseUrl, { username: 'admin', password: TEST_ADMIN_PASSWORD });
      expect(result.status).toBe(200);
      expect(result.body.user).toMatchObject({ username: 'admin', role: 'ADMIN', mustChangePassword: true });
    });

    it("never accepts the seed's admin/admin123", async () => {
      const result = await loginRequest(baseUrl, { username: 'admin', password: 'admin123' });
      expectErrorBody(result, 401);
      expect(result.body.message).toBe(INVALID_CREDENTIALS);
    });

    it('lets the admin use nothing but /auth/me, /auth/password and logout until the password is changed', async () => {
      const { token } = await login(baseUrl, { username: 'admin', password: TEST_ADMIN_PASSWORD });
      expect((await me(baseUrl, token!)).body).toMatchObject({ username: 'admin', mustChangePassword: true });

      const routes: [string, string][] = [
        ['GET', '/auth/sessions'],
        ['GET', '/users'],
        ['GET', '/rbac/roles'],
        ['GET', '/proposals'],
        ['POST', '/auth/mfa/totp/enroll'],
      ];
      for (const [method, path] of routes) {
        const result = await request<{ message: string }>(baseUrl, `${API}${path}`, { method, token });
        expectErrorBody(result, 403);
        expect(result.body.message).toMatch(/^Password change required/);
      }

      const changeTo = (newPassword: string) =>
        request<{ message: string }>(baseUrl, `${API}/auth/password`, {
          method: 'POST',
          token,
          json: { currentPassword: TEST_ADMIN_PASSWORD, newPassword },
        });
      expectErrorBody(await changeTo('admin123'), 400);
      expectErrorBody(await changeTo('Lantern-ADMIN-quartz-42'), 400);

      const newPassword = strongPassword();
      expect((await changeTo(newPassword)).status).toBe(204);
      for (const [method, path] of routes.slice(0, 4)) {
        expect((await request(baseUrl, `${API}${path}`, { method, token })).status).toBe(200);
      }
      expect((await login(baseUrl, { username: 'admin', password: TEST_ADMIN_PASSWORD })).status).toBe(401);
      const again = await login(baseUrl, { username: 'admin', password: newPassword });
      expect(again.body.user).toMatchObject({ mustChangePassword: false });
    });
  });

  it.each(['admin123', 'admin123admin123', 'Password123!'])(
    'refuses to start when ADMIN_INITIAL_PASSWORD=%s fails the password policy, without echoing it',
    async (password) => {
      const starting = createTestApp({ ADMIN_INITIAL_PASSWORD: password });
      await expect(starting).rejects.toThrow(/^ADMIN_INITIAL_PASSWORD is not acceptable: Password /);
      await expect(starting).rejects.not.toThrow(password);
    },
  );

  describe('on an empty database without ADMIN_INITIAL_PASSWORD', () => {
    let testApp: TestApp;
    let announced: string[];

    beforeAll(async () => {
      const written: string[] = [];
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      });
      try {
        // An empty value counts as unset.
        testApp = await createTestApp({ ADMIN_INITIAL_PASSWORD: '' });
      } finally {
        stderr.mockRestore();
      }
      announced = [...written.join('').matchAll(ANNOUNCEMENT)].map((match) => match[1]);
    });
    afterAll(() => testApp.close());

    it('generates a strong random password, shows it once on the terminal, and it works', async () => {
      expect(announced).toHaveLength(1);
      const [password] = announced;
      expect(password.length).toBeGreaterThanOrEqual(24);
      const result = await login(testApp.baseUrl, { username: 'admin', password });
      expect(result.status).toBe(200);
      expect(result.body.user).toMatchObject({ role: 'ADMIN', mustChangePassword: true });
    });

    it('accepts neither admin123 nor any fixed test password', async () => {
      for (const password of ['admin123', TEST_ADMIN_PASSWORD]) {
        expectErrorBody(await loginRequest(testApp.baseUrl, { username: 'admin', password }), 401);
      }
    });
  });

  it('creates the admin only on an empty database: a restart leaves the existing one alone', async () => {
    const database = await createTestDatabase();
    try {
      const first = await createTestApp({ ADMIN_INITIAL_PASSWORD: TEST_ADMIN_PASSWORD }, { databaseUrl: database.url });
      await first.close();
      // A password that could never create an admin does not matter once one exists.
      const second = await createTestApp({ ADMIN_INITIAL_PASSWORD: 'admin123' }, { databaseUrl: database.url });
      try {
        expect(await admins(second)).toHaveLength(1);
        expect((await login(second.baseUrl, { username: 'admin', password: TEST_ADMIN_PASSWORD })).status).toBe(200);
        expect((await login(second.baseUrl, { username: 'admin', password: 'admin123' })).status).toBe(401);
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });
});
