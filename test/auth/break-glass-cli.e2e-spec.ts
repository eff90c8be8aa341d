import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestDatabase } from '../support/test-database';
import { TEST_BACKUP_KEY, TEST_MASTER_KEYS, createTestApp, type TestApp } from '../support/test-app';
import { createUser, login, type TestUser, tokenFor } from '../support/users';
import { Role } from '../../src/rbac/role';
import { request } from '../support/http';
import { API, LOGIN } from './auth-helpers';
import { requestFrom } from '../security-monitor/monitor-support';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const WRONG = 'Wrong-password-for-sure-123';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], databaseUrl: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      BACKUP_ENCRYPTION_KEY: TEST_BACKUP_KEY,
      SECRETS_MASTER_KEYS: TEST_MASTER_KEYS,
      JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef',
      API_KEY_PEPPER: 'test-only-api-key-pepper-0123456789abcdef',
      AUDIT_CHAIN_KEY: 'test-only-audit-chain-key-0123456789abcdef',
      LOGS_FILE: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

describe('break-glass commands, with the server stopped', () => {
  let database: { url: string; drop: () => Promise<void> };
  let locked: TestUser;
  let keyId: string;
  let keySecret: string;
  const env = { SECURITY_ALLOWLIST_IPS: '127.0.0.0/8,::1' };

  /** The app on the shared database, for one step; it is closed before any command runs. */
  async function withApp<T>(work: (app: TestApp) => Promise<T>): Promise<T> {
    const app = await createTestApp(env, { databaseUrl: database.url });
    try {
      return await work(app);
    } finally {
      await app.close();
    }
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first (npm test does)`);
    database = await createTestDatabase();
    await withApp(async (testApp) => {
      locked = await createUser(testApp.app, { role: Role.Admin });
      const token = await tokenFor(testApp.baseUrl, locked);
      const issued = await request<{ id: string; key: string }>(testApp.baseUrl, `${API}/api-keys`, {
        method: 'POST',
        token,
        json: { name: 'before the reset' },
      });
      expect(issued.status).toBe(201);
      ({ id: keyId, key: keySecret } = issued.body);
      // Locked for one ip and, from 10 more, for the whole account (50 failures by default).
      for (let ip = 2; ip <= 11; ip++) {
        for (let attempt = 0; attempt < 5; attempt++) {
          const refused = await requestFrom(`127.0.0.${ip}`, testApp.baseUrl, LOGIN, {
            method: 'POST',
            json: { username: locked.username, password: WRONG },
          });
          expect(refused.status).toBe(401);
        }
      }
      expect((await login(testApp.baseUrl, locked)).status).toBe(401);
    });
  });
  afterAll(() => database.drop());

  const auditRows = (action: string) =>
    withApp((testApp) =>
      testApp.app.get(DataSource).query<{ username: string; resource_id: string }[]>(
        `SELECT username, resource_id FROM audit_logs WHERE action_type = $1
           UNION ALL SELECT username, resource_id FROM audit_outbox WHERE action_type = $1`,
        [action],
      ),
    );

  it('unlocks an account: every lock lifted, audited as a system action', async () => {
    const result = await cli(['users', 'unlock', locked.username], database.url);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${locked.username}: unlocked`);
    await withApp(async (testApp) => {
      expect((await login(testApp.baseUrl, locked)).status).toBe(200);
    });
    expect(await auditRows('users.unlocked')).toEqual([{ username: 'system', resource_id: locked.id }]);
  });

  it('resets a password to a one-time one printed on the terminal: sessions end, keys are revoked', async () => {
    const token = await withApp((testApp) => tokenFor(testApp.baseUrl, locked));
    const result = await cli(['users', 'reset-password', locked.username], database.url);
    expect(result.code).toBe(0);
    const oneTime = /one-time password \(change it at the next login\): (\S+)$/m.exec(result.stdout)?.[1];
    expect(oneTime).toMatch(/^[\w-]{24}$/);
    await withApp(async (testApp) => {
      expect((await request(testApp.baseUrl, `${API}/auth/me`, { token })).status).toBe(401);
      expect((await request(testApp.baseUrl, `${API}/auth/me`, { headers: { 'x-api-key': keySecret } })).status).toBe(
        401,
      );
      expect((await login(testApp.baseUrl, locked)).status).toBe(401);
      const fresh = await login(testApp.baseUrl, { username: locked.username, password: oneTime! });
      expect(fresh.status).toBe(200);
      expect(fresh.body.user).toMatchObject({ mustChangePassword: true });
    });
    expect(await auditRows('users.password-reset')).toEqual([{ username: 'system', resource_id: locked.id }]);
    expect(await auditRows('api-key.revoked')).toEqual([expect.objectContaining({ resource_id: keyId })]);
    // The password is on the terminal only: no audit row carries it.
    const rows = await withApp((testApp) =>
      testApp.app.get(DataSource).query<{ n: string }[]>(
        `SELECT (SELECT count(*) FROM audit_logs WHERE action_details::text LIKE $1)
                + (SELECT count(*) FROM audit_outbox WHERE action_details::text LIKE $1) AS n`,
        [`%${oneTime!}%`],
      ),
    );
    expect(Number(rows[0].n)).toBe(0);
  });

  it('answers an unknown user with exit code 1 and a usage error with 2', async () => {
    const unknown = await cli(['users', 'unlock', 'nobody-here'], database.url);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no user named nobody-here');
    const usage = await cli(['users', 'unlock'], database.url);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('users unlock <username>');
  });
});
