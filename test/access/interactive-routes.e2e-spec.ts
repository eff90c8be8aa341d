import { randomUUID } from 'node:crypto';
import { Permission } from '../../src/rbac/permission';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { type DiscoveredRoute, discoverRoutes, servedPath } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';

/** Routes that manage users, grants, sessions, keys, passwords or MFA. */
const ACCOUNT_MANAGEMENT = /^\/(users|rbac\/grants|rbac\/check|api-keys|auth\/(sessions|password|logout|mfa))(\/|$)/;

function managesAccounts(route: DiscoveredRoute): boolean {
  return (
    ACCOUNT_MANAGEMENT.test(route.path) || Boolean(route.requirement?.permissions.includes(Permission.UsersManage))
  );
}

/** No API key reaches account management, on any route, today's or tomorrow's (issue 11, point 2). */
describe('access: account management needs a login session', () => {
  let testApp: TestApp;
  let routes: DiscoveredRoute[];
  let adminKey: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    routes = discoverRoutes(testApp.app).filter(managesAccounts);
    const token = await tokenFor(testApp.baseUrl, await createUser(testApp.app, { role: Role.Admin }));
    adminKey = (
      await request<{ key: string }>(testApp.baseUrl, '/api/v1/api-keys', {
        method: 'POST',
        token,
        json: { name: 'admin-everything' },
      })
    ).body.key;
  });
  afterAll(() => testApp.close());

  it('declares every such route interactive-only', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(
      routes.filter((route) => !route.requirement?.interactiveOnly).map((route) => `${route.method} ${route.path}`),
    ).toEqual([]);
  });

  it("refuses an ADMIN's unrestricted key on every one of them with 403 SESSION_REQUIRED", async () => {
    for (const route of routes) {
      const path = servedPath(testApp.app, route).replace(/:[A-Za-z]+/g, randomUUID());
      const result = await request(testApp.baseUrl, path, {
        method: route.method,
        headers: { 'x-api-key': adminKey },
        json: ['GET', 'DELETE'].includes(route.method) ? undefined : {},
      });
      expectErrorBody(result, 403, 'SESSION_REQUIRED');
    }
  });
});
