import { generateSync } from 'otplib';
import { DataSource } from 'typeorm';
import { EncryptTotpSecrets1796000000003 } from '../../migrations/1796000000003-EncryptTotpSecrets';
import { Role } from '../../src/rbac/role';
import { request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { TestClock } from '../support/test-clock';
import { createUser, login, tokenFor } from '../support/users';

const STEP_MS = 30_000;

describe('TOTP secrets encrypted at rest', () => {
  const clock = new TestClock(new Date());
  let testApp: TestApp;
  let sql: DataSource;

  beforeAll(async () => {
    testApp = await createTestApp({}, { clock });
    sql = testApp.app.get(DataSource);
  });
  afterAll(() => testApp.close());

  const code = (secret: string) => generateSync({ secret, epoch: Math.floor(clock.now().getTime() / 1000) });
  const stored = async (userId: string) =>
    (
      await sql.query<{ totp_secret: string | null; totp_pending_secret: string | null }[]>(
        'SELECT totp_secret, totp_pending_secret FROM users WHERE id = $1',
        [userId],
      )
    )[0];

  async function enrolled(): Promise<{ user: Awaited<ReturnType<typeof createUser>>; secret: string }> {
    const user = await createUser(testApp.app, { role: Role.Operator });
    const token = await tokenFor(testApp.baseUrl, user);
    const enrollment = await request<{ secret: string }>(testApp.baseUrl, '/api/v1/auth/mfa/totp/enroll', {
      method: 'POST',
      token,
    });
    const { secret } = enrollment.body;
    const pending = await stored(user.id);
    expect(pending.totp_pending_secret).toMatch(/^sentinel-totp:t1:/);
    expect(pending.totp_pending_secret).not.toContain(secret);
    const confirmed = await request(testApp.baseUrl, '/api/v1/auth/mfa/totp/confirm', {
      method: 'POST',
      token,
      json: { code: code(secret) },
    });
    expect(confirmed.status).toBe(200);
    clock.advance(STEP_MS);
    return { user, secret };
  }

  it('stores the secret sealed under the master keyring, and TOTP login works', async () => {
    const { user, secret } = await enrolled();
    const row = await stored(user.id);
    expect(row.totp_secret).toMatch(/^sentinel-totp:t1:[A-Za-z0-9+/]+=*$/);
    expect(row.totp_secret).not.toContain(secret);
    expect((await login(testApp.baseUrl, { ...user, totpCode: code(secret) })).status).toBe(200);
  });

  it('binds the sealed secret to its user: copied to another user, it opens for no one', async () => {
    const first = await enrolled();
    const second = await enrolled();
    await sql.query('UPDATE users SET totp_secret = (SELECT totp_secret FROM users WHERE id = $1) WHERE id = $2', [
      first.user.id,
      second.user.id,
    ]);
    expect((await login(testApp.baseUrl, { ...second.user, totpCode: code(first.secret) })).status).toBe(401);
  });

  it('encrypts existing plaintext secrets in the migration, and TOTP login still works after it', async () => {
    const { user, secret } = await enrolled();
    // As before the migration: the secret in the clear.
    await sql.query('UPDATE users SET totp_secret = $2 WHERE id = $1', [user.id, secret]);
    const runner = sql.createQueryRunner();
    try {
      await new EncryptTotpSecrets1796000000003().up(runner);
    } finally {
      await runner.release();
    }
    const row = await stored(user.id);
    expect(row.totp_secret).toMatch(/^sentinel-totp:t1:/);
    expect(row.totp_secret).not.toContain(secret);
    expect((await login(testApp.baseUrl, { ...user, totpCode: code(secret) })).status).toBe(200);
    expect((await login(testApp.baseUrl, user)).status).toBe(401);
  });
});
