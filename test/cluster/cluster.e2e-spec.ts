import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Role } from '../../src/rbac/role';
import { expectErrorBody } from '../support/http';
import { waitUntil } from '../support/wait';
import { Cluster } from './harness';

const MIGRATION_FILES = readdirSync(join(__dirname, '..', '..', 'migrations')).filter((file) => file.endsWith('.ts'));
/** The documented worst case for a block to reach an instance whose NOTIFY got lost: its state refresh. */
const STATE_REFRESH_MS = 2000;
const MAX_FAILED_ATTEMPTS = 5;

/** Three built servers on one empty database, started at once, as a balancer's pool. */
describe('cluster: three instances on one PostgreSQL', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.start({
      instances: 3,
      env: {
        TRUST_PROXY: 'true',
        SECURITY_STATE_REFRESH_MS: String(STATE_REFRESH_MS),
        MAX_FAILED_ATTEMPTS: String(MAX_FAILED_ATTEMPTS),
      },
    });
  }, 180_000);
  afterAll(() => cluster.close());

  /** Each instance in turn answers `path` for `token` with `status`. */
  async function expectEverywhere(path: string, status: number, headers: Record<string, string>): Promise<void> {
    const results = await cluster.requestEach(path, { headers });
    expect(results.map((result) => [result.instance, result.status])).toEqual(
      cluster.instances.map((instance) => [instance.index, status]),
    );
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** The lock on the user from this test's one client ip (temporary locks are per account and ip). */
  async function lockOf(userId: string): Promise<{ failures: number; locked: boolean }> {
    const [row] = await cluster.sql<{ failures: number; locked: boolean }>(
      `SELECT coalesce(max(failures), 0)::int AS failures, coalesce(bool_or(locked_until > now()), false) AS locked
         FROM login_failures WHERE user_id = $1`,
      [userId],
    );
    return row;
  }
  const credentials = (user: { username: string; password: string }) => ({
    method: 'POST',
    json: { username: user.username, password: user.password },
  });

  it('applies each migration once when the three start together on an empty database, with no error logged', async () => {
    const rows = await cluster.sql<{ name: string; times: number }>(
      'SELECT name, count(*)::int AS times FROM schema_migrations GROUP BY name ORDER BY name',
    );
    expect(rows).toHaveLength(MIGRATION_FILES.length);
    expect(rows.every((row) => row.times === 1)).toBe(true);
    const applied = cluster.instances.flatMap((instance) =>
      instance
        .logEntries()
        .map((entry) => String(entry.message))
        .filter((message) => message.startsWith('applied ')),
    );
    expect(applied.sort()).toEqual(rows.map((row) => `applied ${row.name}`).sort());
    for (const instance of cluster.instances) {
      expect(instance.logEntries().filter((entry) => ['error', 'critical'].includes(String(entry.level)))).toEqual([]);
    }
    // One initial admin, however many instances raced to create it.
    expect(await cluster.sql("SELECT id FROM users WHERE username = 'admin'")).toHaveLength(1);
  });

  it('refuses a session logged out on one instance on every other, on the very next request', async () => {
    const user = await cluster.createUser(Role.Operator);
    const { token } = await cluster.login(0, user);
    await expectEverywhere('/api/v1/auth/me', 200, bearer(token));

    expect((await cluster.request(0, '/api/v1/auth/logout', { method: 'POST', token })).status).toBe(204);

    for (const index of [1, 2, 0]) {
      expectErrorBody(await cluster.request(index, '/api/v1/auth/me', { token }), 401);
    }
  });

  it('refuses an API key revoked on one instance on every other, on the very next request', async () => {
    const owner = await cluster.createUser(Role.Admin);
    const { token } = await cluster.login(1, owner);
    const issued = await cluster.request<{ id: string; key: string }>(1, '/api/v1/api-keys', {
      method: 'POST',
      token,
      json: { name: 'cluster probe' },
    });
    expect(issued.status).toBe(201);
    const withKey = { 'x-api-key': issued.body.key };
    await expectEverywhere('/api/v1/agents', 200, withKey);

    expect((await cluster.request(1, `/api/v1/api-keys/${issued.body.id}`, { method: 'DELETE', token })).status).toBe(
      204,
    );

    for (const index of [2, 0, 1]) {
      expectErrorBody(await cluster.request(index, '/api/v1/agents', { headers: withKey }), 401);
    }
  });

  it('refuses a user deactivated on one instance on every other, session and API key alike', async () => {
    const admin = await cluster.createUser(Role.Admin);
    const adminToken = (await cluster.login(0, admin)).token;
    const user = await cluster.createUser(Role.Admin);
    const userToken = (await cluster.login(1, user)).token;
    const key = await cluster.request<{ key: string }>(2, '/api/v1/api-keys', {
      method: 'POST',
      token: userToken,
      json: { name: 'to be orphaned' },
    });
    expect(key.status).toBe(201);
    await expectEverywhere('/api/v1/auth/me', 200, bearer(userToken));
    await expectEverywhere('/api/v1/agents', 200, { 'x-api-key': key.body.key });

    const deactivated = await cluster.request(0, `/api/v1/users/${user.id}`, {
      method: 'PATCH',
      token: adminToken,
      json: { isActive: false },
    });
    expect(deactivated.status).toBe(200);

    for (const index of [1, 2, 0]) {
      expectErrorBody(await cluster.request(index, '/api/v1/auth/me', { token: userToken }), 401);
      expectErrorBody(await cluster.request(index, '/api/v1/agents', { headers: { 'x-api-key': key.body.key } }), 401);
    }
    expect((await cluster.request(2, '/api/v1/auth/login', credentials(user))).status).toBe(401);
  });

  it('blocks an ip blocked by the monitor on one instance on every instance, within the refresh interval', async () => {
    const admin = await cluster.createUser(Role.Admin);
    const { token } = await cluster.login(0, admin);
    const attacker = { 'x-forwarded-for': '203.0.113.50' };
    await expectEverywhere('/api/v1/auth/me', 401, attacker);

    const blocked = await cluster.request(0, '/api/v1/security/blocks', {
      method: 'POST',
      token,
      json: { target: '203.0.113.50', durationSeconds: 600, reason: 'cluster test' },
    });
    expect(blocked.status).toBe(201);
    const since = Date.now();

    for (const instance of cluster.instances) {
      await waitUntil(
        async () => (await cluster.request(instance.index, '/api/v1/auth/me', { headers: attacker })).status === 403,
        STATE_REFRESH_MS + 1000,
      );
    }
    expect(Date.now() - since).toBeLessThanOrEqual(STATE_REFRESH_MS + 1000);
    for (const index of [1, 2, 0]) {
      expectErrorBody(await cluster.request(index, '/api/v1/auth/me', { headers: attacker }), 403, 'IP_BLOCKED');
      // Another address is untouched.
      expect(
        (await cluster.request(index, '/api/v1/auth/me', { headers: { 'x-forwarded-for': '203.0.113.51' } })).status,
      ).toBe(401);
    }
  });

  it(`locks an account at exactly ${MAX_FAILED_ATTEMPTS} failed logins spread round-robin over the instances`, async () => {
    const wrong = (username: string) => ({ method: 'POST', json: { username, password: 'not-the-Password-42!' } });

    // One short of the limit, then the right password: still let in (and the count starts again).
    const near = await cluster.createUser(Role.Auditor);
    for (let i = 0; i < MAX_FAILED_ATTEMPTS - 1; i++) {
      expectErrorBody(await cluster.requestNext('/api/v1/auth/login', wrong(near.username)), 401);
    }
    expect((await cluster.requestNext('/api/v1/auth/login', credentials(near))).status).toBe(200);

    // At the limit: locked on every instance, the right password refused too.
    const victim = await cluster.createUser(Role.Auditor);
    for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) {
      expectErrorBody(await cluster.requestNext('/api/v1/auth/login', wrong(victim.username)), 401);
    }
    for (const instance of cluster.instances) {
      const result = await cluster.request(instance.index, '/api/v1/auth/login', credentials(victim));
      expectErrorBody(result, 401);
    }
    expect(await lockOf(victim.id)).toEqual({ failures: MAX_FAILED_ATTEMPTS, locked: true });
  });

  it('chains writes sent at once to all three instances into one chain: every row once, none lost, and it verifies', async () => {
    const admin = await cluster.createUser(Role.Admin);
    const { token } = await cluster.login(0, admin);
    const writes = Array.from({ length: 60 }, (_, i) =>
      cluster.request<{ id: string }>(i % 3, '/api/v1/agents', {
        method: 'POST',
        token,
        json: { name: `chained-at-once-${i}` },
      }),
    );
    const answers = await Promise.all(writes);
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 201));
    const created = answers.map((answer) => answer.body.id);

    // Three chainers take turns on one lock; each row leaves the outbox once, into one place in the chain.
    await waitUntil(async () => (await cluster.sql('SELECT 1 FROM audit_outbox LIMIT 1')).length === 0);
    const chained = await cluster.sql<{ resource_id: string; times: number }>(
      `SELECT resource_id, count(*)::int AS times FROM audit_logs
        WHERE action_type = 'agents.create' AND resource_id = ANY($1) GROUP BY resource_id`,
      [created],
    );
    expect(chained.map((row) => [row.resource_id, row.times]).sort()).toEqual(created.map((id) => [id, 1]).sort());
    const chain = await cluster.request<{ valid: boolean }>(2, '/api/v1/audit-logs/verify', { token });
    expect([chain.status, chain.body.valid]).toEqual([200, true]);
  });

  it(`checks exactly ${MAX_FAILED_ATTEMPTS} of twice as many failed logins sent at once to all instances, then locks`, async () => {
    const victim = await cluster.createUser(Role.Auditor);
    const attempts = Array.from({ length: 2 * MAX_FAILED_ATTEMPTS }, () =>
      cluster.requestNext('/api/v1/auth/login', {
        method: 'POST',
        json: { username: victim.username, password: 'not-the-Password-42!' },
      }),
    );
    for (const result of await Promise.all(attempts)) expectErrorBody(result, 401);
    // Every attempt is reserved in PostgreSQL before its hash runs: no instance checks one past the limit.
    expect(await lockOf(victim.id)).toEqual({ failures: MAX_FAILED_ATTEMPTS, locked: true });
    expect((await cluster.requestNext('/api/v1/auth/login', credentials(victim))).status).toBe(401);
  });
});
