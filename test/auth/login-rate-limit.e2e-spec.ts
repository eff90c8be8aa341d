import { Role } from '../../src/rbac/role';
import { expectErrorBody } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';
import { loginRequest, me } from './auth-helpers';

describe('auth: login rate limit', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({ LOGIN_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => testApp.close());

  it('answers the 4th login from one ip within a minute with 429, right password or not', async () => {
    const user = await createUser(testApp.app, { role: Role.Operator });
    const token = await tokenFor(testApp.baseUrl, user);
    expect(
      (await loginRequest(testApp.baseUrl, { username: user.username, password: 'Wrong-password-1' })).status,
    ).toBe(401);
    expect(
      (await loginRequest(testApp.baseUrl, { username: 'nobody-at-all', password: 'Wrong-password-1' })).status,
    ).toBe(401);

    const limited = await loginRequest(testApp.baseUrl, { username: user.username, password: user.password });
    expectErrorBody(limited, 429);
    expect(limited.body.message).toBe('Too many requests; retry later');

    // Only the login route has this budget: the session keeps working.
    expect((await me(testApp.baseUrl, token)).status).toBe(200);
  });
});
