import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { UserCredentialsRepository } from '../../src/auth/user-credentials.repository';
import { Role } from '../../src/rbac/role';
import { request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, login, strongPassword, tokenFor } from '../support/users';
import { API, sql, userRow } from './auth-helpers';

const ARGON2ID_OWASP = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

/** A PBKDF2-SHA256 hash in the stored format, computed here rather than by the app. */
function pbkdf2Hash(password: string, iterations: number): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return `pbkdf2-sha256$i=${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

describe('auth: password hashing with PASSWORD_HASH_ALGORITHM=argon2id', () => {
  let testApp: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    testApp = await createTestApp({ PASSWORD_HASH_ALGORITHM: 'argon2id' });
    baseUrl = testApp.baseUrl;
  });
  afterAll(() => testApp.close());

  it('stores new passwords as argon2id with OWASP parameters', async () => {
    const user = await createUser(testApp.app, { role: Role.Operator });
    expect((await userRow(testApp.app, user.id)).password_hash).toMatch(ARGON2ID_OWASP);
    expect((await login(baseUrl, user)).status).toBe(200);

    const token = await tokenFor(baseUrl, user);
    const newPassword = strongPassword();
    const changed = await request(baseUrl, `${API}/auth/password`, {
      method: 'POST',
      token,
      json: { currentPassword: user.password, newPassword },
    });
    expect(changed.status).toBe(204);
    expect((await userRow(testApp.app, user.id)).password_hash).toMatch(ARGON2ID_OWASP);
  });

  it('migrates a PBKDF2 hash to argon2id at the next successful login, and not at a failed one', async () => {
    const user = await createUser(testApp.app, { role: Role.Auditor });
    const legacy = pbkdf2Hash(user.password, 100_000);
    await sql(testApp.app, 'UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, legacy]);

    expect((await login(baseUrl, { username: user.username, password: `${user.password}-x` })).status).toBe(401);
    expect((await userRow(testApp.app, user.id)).password_hash).toBe(legacy);

    expect((await login(baseUrl, user)).status).toBe(200);
    expect((await userRow(testApp.app, user.id)).password_hash).toMatch(ARGON2ID_OWASP);
    expect((await login(baseUrl, user)).status).toBe(200);
    expect((await login(baseUrl, { username: user.username, password: `${user.password}-x` })).status).toBe(401);
  });

  it('never lets a hash upgrade overwrite a password that changed in the meantime', async () => {
    const user = await createUser(testApp.app, { role: Role.Operator });
    const legacy = pbkdf2Hash(user.password, 100_000);
    await sql(testApp.app, 'UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, legacy]);
    // The password changes (here, as an admin reset would) after a login read the legacy hash...
    const newPassword = strongPassword();
    const current = pbkdf2Hash(newPassword, 100_000);
    await sql(testApp.app, 'UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, current]);
    // ...and that login then tries to store its upgraded hash of the old password.
    const upgraded = await testApp.app
      .get(UserCredentialsRepository)
      .upgradePasswordHash(user.id, legacy, pbkdf2Hash(user.password, 200_000));

    expect(upgraded).toBe(false);
    expect((await userRow(testApp.app, user.id)).password_hash).toBe(current);
    expect((await login(baseUrl, user)).status).toBe(401);
    expect((await login(baseUrl, { username: user.username, password: newPassword })).status).toBe(200);
  });
});
