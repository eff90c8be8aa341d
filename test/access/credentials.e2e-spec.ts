import { randomUUID } from 'node:crypto';
import { generateSync } from 'otplib';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, type HttpResult, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, login, strongPassword, tokenFor, type TestUser } from '../support/users';

const API = '/api/v1';

/** Credentials are read strictly, and nothing that carries one may be cached (issue 11, points 6 and 8). */
describe('access: credentials on the wire', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let admin: TestUser;
  let token: string;
  let key: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    baseUrl = testApp.baseUrl;
    admin = await createUser(testApp.app, { role: Role.Admin });
    token = await tokenFor(baseUrl, admin);
    key = (
      await request<{ key: string }>(baseUrl, `${API}/api-keys`, { method: 'POST', token, json: { name: 'wire' } })
    ).body.key;
  });
  afterAll(() => testApp.close());

  const me = (headers: Record<string, string>) => request(baseUrl, `${API}/auth/me`, { headers });

  describe('strict parsing', () => {
    it('accepts exactly one well-formed credential', async () => {
      expect((await me({ authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await me({ authorization: `bearer ${token}` })).status).toBe(200);
      expect((await me({ 'x-api-key': key })).status).toBe(200);
      expect((await me({ authorization: `ApiKey ${key}` })).status).toBe(200);
    });

    it.each<[string, (token: string, key: string) => Record<string, string>]>([
      ['a valid bearer token followed by more', (t) => ({ authorization: `Bearer ${t} extra` })],
      ['a valid bearer token and a valid API key', (t, k) => ({ authorization: `Bearer ${t}`, 'x-api-key': k })],
      ['a valid API key and a forged bearer token', (_t, k) => ({ authorization: 'Bearer forged', 'x-api-key': k })],
      ['a valid bearer token and a forged API key', (t) => ({ authorization: `Bearer ${t}`, 'x-api-key': 'snt_x_y' })],
      ['an API key in both headers', (_t, k) => ({ authorization: `ApiKey ${k}`, 'x-api-key': k })],
      ['an unknown scheme carrying a valid token', (t) => ({ authorization: `Token ${t}` })],
      ['Basic credentials', () => ({ authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` })],
      ['a valid API key followed by more', (_t, k) => ({ 'x-api-key': `${k} ${k}` })],
    ])('refuses %s with 401', async (_label, headers) => {
      expectErrorBody(await me(headers(token, key)), 401, 'UNAUTHENTICATED');
    });
  });

  describe('Cache-Control: no-store', () => {
    function expectNoStore(result: HttpResult, status: number): void {
      expect(result.status).toBe(status);
      expect(result.headers.get('cache-control')).toBe('no-store');
    }

    it('on the login answer (a token) and on a refused login', async () => {
      const user = await createUser(testApp.app, { role: Role.Operator });
      const answer = await request(baseUrl, `${API}/auth/login`, {
        method: 'POST',
        json: { username: user.username, password: user.password },
      });
      expectNoStore(answer, 200);
      const refused = await request(baseUrl, `${API}/auth/login`, {
        method: 'POST',
        json: { username: user.username, password: `${user.password}x` },
      });
      expectNoStore(refused, 401);
    });

    it('on issuing and rotating a key', async () => {
      const issued = await request<{ id: string }>(baseUrl, `${API}/api-keys`, {
        method: 'POST',
        token,
        json: { name: `k-${randomUUID()}` },
      });
      expectNoStore(issued, 201);
      expectNoStore(
        await request(baseUrl, `${API}/api-keys/${issued.body.id}/rotate`, { method: 'POST', token, json: {} }),
        200,
      );
    });

    it('on a temporary password, at creation and at reset', async () => {
      const username = `temp_${randomUUID().slice(0, 8)}`;
      const created = await request<{ user: { id: string }; temporaryPassword: string }>(baseUrl, `${API}/users`, {
        method: 'POST',
        token,
        json: { username, email: `${username}@example.test`, role: Role.Auditor },
      });
      expectNoStore(created, 201);
      expect(created.body.temporaryPassword).toEqual(expect.any(String));
      expectNoStore(
        await request(baseUrl, `${API}/users/${created.body.user.id}/reset-password`, { method: 'POST', token }),
        200,
      );
    });

    it('on the MFA secret and on the recovery codes', async () => {
      const user = await createUser(testApp.app, { role: Role.Operator, password: strongPassword() });
      const session = (await login(baseUrl, user)).token ?? '';
      const enrollment = await request<{ secret: string }>(baseUrl, `${API}/auth/mfa/totp/enroll`, {
        method: 'POST',
        token: session,
      });
      expectNoStore(enrollment, 201);
      const confirmed = await request(baseUrl, `${API}/auth/mfa/totp/confirm`, {
        method: 'POST',
        token: session,
        json: { code: generateSync({ secret: enrollment.body.secret }) },
      });
      expect(confirmed.status).toBeLessThan(300);
      expect(confirmed.headers.get('cache-control')).toBe('no-store');
    });

    it('on authenticated reads, by token and by key, JSON or not', async () => {
      expectNoStore(await request(baseUrl, `${API}/auth/me`, { token }), 200);
      expectNoStore(await request(baseUrl, `${API}/agents`, { headers: { 'x-api-key': key } }), 200);
      expectNoStore(await request(baseUrl, `${API}/audit-logs/export?format=csv`, { token }), 200);
      expectNoStore(await request(baseUrl, '/metrics', { token }), 200);
    });
  });
});
