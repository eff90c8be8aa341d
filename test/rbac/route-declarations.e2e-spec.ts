import { Controller, Get } from '@nestjs/common';
import { Authenticated } from '../../src/access/decorators/authenticated.decorator';
import { API_PREFIX } from '../../src/app.setup';
import { ALL_PERMISSIONS } from '../../src/rbac/permission';
import { expectErrorBody, request } from '../support/http';
import { type DiscoveredRoute, discoverRoutes } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';
import { API } from './rbac-fixtures';

/** Mounted only in this test: a route that declares nothing, which the app must refuse to everyone. */
@Controller('test-only-undeclared')
class UndeclaredController {
  @Get()
  open(): { reached: true } {
    return { reached: true };
  }
}

/** Declares access once on the class: its methods inherit it, for the guard and for the walk alike. */
@Authenticated()
@Controller('test-only-class-declared')
class ClassDeclaredController {
  @Get()
  open(): { reached: true } {
    return { reached: true };
  }
}

const describeRoute = (route: DiscoveredRoute): string =>
  `${route.method} ${route.path} (${route.controller.name}.${route.handlerName})`;

describe('rbac: every route declares its access', () => {
  let testApp: TestApp;
  let routes: DiscoveredRoute[];

  beforeAll(async () => {
    testApp = await createTestApp({}, { controllers: [UndeclaredController, ClassDeclaredController] });
    routes = discoverRoutes(testApp.app);
  });
  afterAll(() => testApp.close());

  const appRoutes = (): DiscoveredRoute[] =>
    routes.filter((route) => route.controller !== UndeclaredController && route.controller !== ClassDeclaredController);

  it('sees every route the app serves, so the walk cannot pass on nothing', () => {
    expect(appRoutes().length).toBeGreaterThan(30);
    const fastify = testApp.app.getHttpAdapter().getInstance();
    expect(fastify.hasRoute({ method: 'GET', url: `${API}/no-such-route` })).toBe(false);
    const unregistered = appRoutes().filter(
      (route) =>
        !fastify.hasRoute({ method: route.method, url: `/${API_PREFIX}${route.path}` }) &&
        !fastify.hasRoute({ method: route.method, url: route.path }),
    );
    expect(unregistered.map(describeRoute)).toEqual([]);
    // The features under test are all in the walk.
    const paths = new Set(appRoutes().map((route) => `${route.method} ${route.path}`));
    for (const expected of [
      'POST /auth/login',
      'GET /users',
      'DELETE /users/:id/sessions',
      'GET /rbac/check',
      'PATCH /agents/:id',
      'POST /proposals/:id/approve',
      'PATCH /api-toggles/:id',
    ]) {
      expect(paths).toContain(expected);
    }
  });

  it('finds no route of the app that declares neither @Public() nor an access requirement', () => {
    const undeclared = routes.filter((route) => !route.isPublic && route.requirement === undefined);
    // Exactly the test-only controller: the walk does catch an undeclared route, and the app has none.
    expect(undeclared.map(describeRoute)).toEqual([`GET /test-only-undeclared (${UndeclaredController.name}.open)`]);
  });

  it('finds no route that is both public and guarded, nor one naming a permission outside the catalogue', () => {
    const contradictory = appRoutes().filter((route) => route.isPublic && route.requirement !== undefined);
    expect(contradictory.map(describeRoute)).toEqual([]);
    const unknown = appRoutes().filter((route) =>
      (route.requirement?.permissions ?? []).some((permission) => !ALL_PERMISSIONS.includes(permission)),
    );
    expect(unknown.map(describeRoute)).toEqual([]);
  });

  it('refuses an undeclared route with the uniform 403, to an ADMIN and to an anonymous caller alike', async () => {
    const admin = await createUser(testApp.app, { role: 'ADMIN' });
    const token = await tokenFor(testApp.baseUrl, admin);
    const asAdmin = await request(testApp.baseUrl, `${API}/test-only-undeclared`, { token });
    expectErrorBody(asAdmin, 403);
    expect(JSON.stringify(asAdmin.body)).not.toContain('reached');
    expectErrorBody(await request(testApp.baseUrl, `${API}/test-only-undeclared`), 403);
  });

  it('lets a class-level declaration cover its handlers', async () => {
    const auditor = await createUser(testApp.app, { role: 'AUDITOR' });
    const token = await tokenFor(testApp.baseUrl, auditor);
    const reached = await request(testApp.baseUrl, `${API}/test-only-class-declared`, { token });
    expect(reached.status).toBe(200);
    expect(reached.body).toEqual({ reached: true });
    expectErrorBody(await request(testApp.baseUrl, `${API}/test-only-class-declared`), 401);
  });
});
