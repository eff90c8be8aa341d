import { randomUUID } from 'node:crypto';
import { Role } from '../../src/rbac/role';
import { auditRows } from '../audit/audit-support';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, type TestUser } from '../support/users';

const API = '/api/v1';

/** Logs in with these headers and returns the ip the app recorded for it (session and audit row alike). */
async function recordedIp(testApp: TestApp, user: TestUser, forwardedFor: string): Promise<string | null> {
  const traceId = `ip-${randomUUID()}`;
  const result = await request<{ accessToken: string }>(testApp.baseUrl, `${API}/auth/login`, {
    method: 'POST',
    headers: { 'x-forwarded-for': forwardedFor, 'x-request-id': traceId },
    json: { username: user.username, password: user.password },
  });
  expect(result.status).toBe(200);
  const sessions = await request<{ ip: string | null; current: boolean }[]>(testApp.baseUrl, `${API}/auth/sessions`, {
    token: result.body.accessToken,
  });
  const session = sessions.body.find((item) => item.current);
  const [row] = await auditRows(testApp.app, 'trace_id = $1', [traceId]);
  expect(row.ip_address).toBe(session?.ip);
  return row.ip_address;
}

describe('access: the client ip (TRUST_PROXY)', () => {
  describe('TRUST_PROXY=1 (one proxy in front)', () => {
    let testApp: TestApp;
    let user: TestUser;
    beforeAll(async () => {
      testApp = await createTestApp({
        TRUST_PROXY: '1',
        LOGIN_RATE_LIMIT_PER_MINUTE: '5',
        // The login-limit test sprays five usernames from this address: the security monitor would block it
        // (its own suites test that), and that block, landing a moment later, would race the limiter's 429s.
        SECURITY_ALLOWLIST_IPS: '192.0.2.77',
      });
      user = await createUser(testApp.app, { role: Role.Operator });
    });
    afterAll(() => testApp.close());

    it('believes only the hop the proxy appended, not the forged left-most ones', async () => {
      expect(await recordedIp(testApp, user, '6.6.6.6, 198.51.100.1, 203.0.113.9')).toBe('203.0.113.9');
    });

    it('ignores a header that does not yield an address, and falls back to the peer', async () => {
      expect(await recordedIp(testApp, user, 'not-an-ip')).toBe('127.0.0.1');
      expect(await recordedIp(testApp, user, '6.6.6.6, 203.0.113.9:4431')).toBe('127.0.0.1');
    });

    it('counts the login limit on that ip: rotating the forged hops does not escape it', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 8; attempt += 1) {
        const result = await request(testApp.baseUrl, `${API}/auth/login`, {
          method: 'POST',
          headers: { 'x-forwarded-for': `10.9.${attempt}.1, 192.0.2.77` },
          json: { username: `nobody_${attempt}`, password: 'Wrong-password-12345' },
        });
        statuses.push(result.status);
        if (result.status === 429) expectErrorBody(result, 429);
      }
      expect(statuses.slice(0, 5).every((status) => status === 401)).toBe(true);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
    });
  });

  describe('TRUST_PROXY as a list of proxy addresses and CIDRs', () => {
    let testApp: TestApp;
    let user: TestUser;
    beforeAll(async () => {
      testApp = await createTestApp({ TRUST_PROXY: '127.0.0.0/8, 10.0.0.0/8' });
      user = await createUser(testApp.app, { role: Role.Operator });
    });
    afterAll(() => testApp.close());

    it('skips every trusted proxy and stops at the first address that is not one', async () => {
      expect(await recordedIp(testApp, user, '6.6.6.6, 203.0.113.9, 10.1.2.3, 10.0.0.9')).toBe('203.0.113.9');
    });

    it('takes nothing from the header when the peer is not a listed proxy', async () => {
      const other = await createTestApp({ TRUST_PROXY: '10.0.0.0/8' });
      try {
        const peer = await createUser(other.app, { role: Role.Operator });
        expect(await recordedIp(other, peer, '203.0.113.9')).toBe('127.0.0.1');
      } finally {
        await other.close();
      }
    });
  });
});
