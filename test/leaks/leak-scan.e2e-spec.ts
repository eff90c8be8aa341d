import { generateSync } from 'otplib';
import { Role } from '../../src/rbac/role';
import { Cluster, type ClusterResult, type RecordedExchange } from '../cluster/harness';
import { TEST_ADMIN_PASSWORD } from '../support/test-app';
import { strongPassword } from '../support/users';

const API = '/api/v1';

/** A value that must appear in nothing but the response that issued it (exchange index; -1: issued by the test). */
interface Secret {
  what: string;
  value: string;
  issuedBy: number;
}

/**
 * A scripted tour over two instances (users, logins, API keys, TOTP, password
 * changes and resets, refusals and errors, reads of the audit trail, logs and
 * metrics), every response body and header recorded by the harness, every
 * line each server wrote, and the audit and log tables: then every secret the
 * tour created is searched for everywhere but the one response that issued it.
 */
describe('leak scan: no password, token, key or TOTP secret outside the response that issued it', () => {
  let cluster: Cluster;
  const secrets: Secret[] = [];

  beforeAll(async () => {
    cluster = await Cluster.start({ instances: 2, env: { LOG_LEVEL: 'debug' } });
  }, 180_000);
  afterAll(() => cluster.close());

  /** Notes a secret the last recorded exchange issued. */
  function issued(what: string, value: unknown): string {
    if (typeof value !== 'string' || value.length < 8) throw new Error(`${what} was not issued: ${String(value)}`);
    secrets.push({ what, value, issuedBy: cluster.exchanges.length - 1 });
    return value;
  }

  function known(what: string, value: string): string {
    secrets.push({ what, value, issuedBy: -1 });
    return value;
  }

  const post = <T>(i: number, path: string, token: string | undefined, json: unknown = {}) =>
    cluster.request<T>(i, `${API}${path}`, { method: 'POST', token, json });
  const get = <T>(i: number, path: string, token?: string) => cluster.request<T>(i, `${API}${path}`, { token });

  async function loginToken(i: number, username: string, password: string, totpCode?: string): Promise<string> {
    const result = await post<{ accessToken: string }>(i, '/auth/login', undefined, { username, password, totpCode });
    expect(result.status).toBe(200);
    return issued(`access token of ${username}`, result.body.accessToken);
  }

  async function tour(): Promise<void> {
    // The initial admin changes its password.
    known('initial admin password', TEST_ADMIN_PASSWORD);
    const firstToken = await loginToken(0, 'admin', TEST_ADMIN_PASSWORD);
    const adminPassword = known('admin password', strongPassword());
    const changed = await post(1, '/auth/password', firstToken, {
      currentPassword: TEST_ADMIN_PASSWORD,
      newPassword: adminPassword,
    });
    expect(changed.status).toBeLessThan(300);
    const admin = await loginToken(1, 'admin', adminPassword);

    // Users: one with a chosen password, one with a generated one, then a reset.
    const chosen = known('chosen password', strongPassword());
    const created = await post(0, '/users', admin, {
      username: 'leak-chosen',
      email: 'chosen@example.test',
      role: Role.Operator,
      password: chosen,
    });
    expect(created.status).toBe(201);
    const generated = await post<{ user: { id: string }; temporaryPassword: string }>(1, '/users', admin, {
      username: 'leak-generated',
      email: 'generated@example.test',
      role: Role.Admin,
    });
    expect(generated.status).toBe(201);
    const temporary = issued('generated password', generated.body.temporaryPassword);
    const reset = await post<{ temporaryPassword: string }>(
      0,
      `/users/${generated.body.user.id}/reset-password`,
      admin,
    );
    const resetPassword = issued('reset password', reset.body.temporaryPassword);
    expect(resetPassword).not.toBe(temporary);

    // The reset user changes its password, enrols TOTP, logs in with a code and with a recovery code.
    const resetToken = await loginToken(1, 'leak-generated', resetPassword);
    const ownPassword = known('own password', strongPassword());
    expect(
      (await post(0, '/auth/password', resetToken, { currentPassword: resetPassword, newPassword: ownPassword }))
        .status,
    ).toBeLessThan(300);
    const token = await loginToken(0, 'leak-generated', ownPassword);
    const enrolled = await post<{ secret: string; otpauthUrl: string }>(1, '/auth/mfa/totp/enroll', token);
    const totpSecret = issued('TOTP secret', enrolled.body.secret);
    const code = generateSync({ secret: totpSecret });
    const confirmed = await post<{ recoveryCodes: string[] }>(0, '/auth/mfa/totp/confirm', token, { code });
    expect(confirmed.status).toBe(200);
    confirmed.body.recoveryCodes.forEach((recovery, n) => issued(`recovery code ${n}`, recovery));
    const recoveryLogin = await post<{ accessToken: string }>(1, '/auth/login', undefined, {
      username: 'leak-generated',
      password: ownPassword,
      recoveryCode: confirmed.body.recoveryCodes[0],
    });
    expect(recoveryLogin.status).toBe(200);
    const mfaToken = issued('access token after a recovery code', recoveryLogin.body.accessToken);

    // API keys: issued, used on both instances, rotated, revoked.
    const key = await post<{ id: string; key: string }>(0, '/api-keys', mfaToken, { name: 'leak probe' });
    const apiKey = issued('API key', key.body.key);
    for (const i of [0, 1])
      expect((await cluster.request(i, `${API}/agents`, { headers: { 'x-api-key': apiKey } })).status).toBe(200);
    const rotated = await post<{ key: string }>(1, `/api-keys/${key.body.id}/rotate`, mfaToken, { graceMinutes: 5 });
    const rotatedKey = issued('rotated API key', rotated.body.key);
    expect(
      (await cluster.request(0, `${API}/agents`, { headers: { authorization: `ApiKey ${rotatedKey}` } })).status,
    ).toBe(200);

    // Refusals and errors that carry secrets in the request: each must answer without echoing them.
    const refusals: Promise<ClusterResult>[] = [
      post(0, '/auth/login', undefined, { username: 'leak-chosen', password: `${chosen}x` }),
      post(1, '/auth/login', undefined, { username: 'leak-generated', password: ownPassword, totpCode: '000000' }),
      post(0, '/auth/login', undefined, { username: 'leak-chosen', password: chosen, extra: 'unexpected' }),
      post(1, '/auth/password', token, { currentPassword: ownPassword, newPassword: 'short' }),
      post(0, '/auth/password', token, { currentPassword: `${ownPassword}!`, newPassword: strongPassword() }),
      cluster.request(
        1,
        `${API}/auth/me?access_token=${encodeURIComponent(token)}&api_key=${encodeURIComponent(apiKey)}`,
      ),
      cluster.request(0, `${API}/agents`, { headers: { 'x-api-key': `${apiKey}x` } }),
      cluster.request(1, `${API}/auth/me`, { token: `${token}x` }),
      cluster.request(0, `${API}/no-such-route`, { token }),
      cluster.request(1, `${API}/users`, {
        method: 'POST',
        token,
        rawBody: `{"password":"${chosen}"`,
        headers: { 'content-type': 'application/json' },
      }),
      cluster.request(0, `${API}/users`, {
        method: 'POST',
        token,
        rawBody: chosen,
        headers: { 'content-type': 'text/plain' },
      }),
    ];
    for (const result of await Promise.all(refusals)) expect(result.status).toBeGreaterThanOrEqual(400);
    const chosenLogin = await loginToken(1, 'leak-chosen', chosen);
    expect((await post(0, '/auth/logout', chosenLogin)).status).toBe(204);

    // What an operator reads back: the audit trail, its export, the log store, metrics, sessions, users.
    for (const path of [
      '/audit-logs?limit=100',
      '/audit-logs/export?format=ndjson',
      '/audit-logs/export?format=csv',
      '/logs?limit=100',
      '/logs?limit=100&level=debug',
      '/users?limit=100',
      '/api-keys',
      '/auth/sessions',
      '/security/events?limit=100',
    ]) {
      expect((await get(0, path, admin)).status).toBe(200);
    }
    expect((await cluster.request(1, '/metrics', { token: admin })).status).toBe(200);
  }

  it('finds every secret only where it was issued: responses, headers, server logs, audit and log tables', async () => {
    await tour();
    // Let the batched writers reach the database before it is read.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const tables = await cluster.sql<{ source: string; label: string; text: string }>(
      `SELECT 'audit_logs' AS source, action_type AS label, row_to_json(a)::text AS text FROM audit_logs a
       UNION ALL SELECT 'audit_outbox', action_type, row_to_json(o)::text FROM audit_outbox o
       UNION ALL SELECT 'app_logs', module, row_to_json(l)::text FROM app_logs l
       UNION ALL SELECT 'security_events', event_type, row_to_json(e)::text FROM security_events e`,
    );
    expect(tables.length).toBeGreaterThan(50);

    const places: { where: string; text: string }[] = [
      ...cluster.exchanges.map((exchange: RecordedExchange, n) => ({
        where: `response #${n} (${exchange.method} ${exchange.path.slice(0, 60)} -> ${exchange.status})`,
        text: `${JSON.stringify(exchange.headers)}\n${exchange.body}`,
      })),
      ...cluster.instances.map((instance) => ({ where: `log of instance ${instance.index}`, text: instance.log })),
      ...tables.map((row) => ({ where: `${row.source} row (${row.label})`, text: row.text })),
    ];
    const found: string[] = [];
    for (const secret of secrets) {
      // The whole value, and for a token its signature alone.
      const needles = [secret.value];
      if (secret.value.split('.').length === 3) needles.push(secret.value.split('.')[2]);
      places.forEach((place, n) => {
        if (n === secret.issuedBy) return;
        const variants = needles.flatMap((needle) => [
          needle,
          encodeURIComponent(needle),
          JSON.stringify(needle).slice(1, -1),
        ]);
        if (variants.some((needle) => place.text.includes(needle))) found.push(`${secret.what} in ${place.where}`);
      });
    }
    expect(secrets.length).toBeGreaterThan(15);
    expect(found).toEqual([]);
  }, 180_000);
});
