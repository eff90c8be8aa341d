import { publishedEvent, recordEvents } from '../support/events';
import type { Type } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ACCESS_REQUIREMENT, type AccessRequirement } from '../../src/access/decorators/authenticated.decorator';
import { UsersController } from '../../src/auth/users/users.controller';
import { AgentsController } from '../../src/platform/agents/agents.controller';
import { ApiTogglesController } from '../../src/platform/api-toggles/api-toggles.controller';
import { ProposalsController } from '../../src/platform/proposals/proposals.controller';
import { ALL_PERMISSIONS, Permission } from '../../src/rbac/permission';
import { RbacController } from '../../src/rbac/rbac.controller';
import { ROLE_PERMISSIONS, type Role } from '../../src/rbac/role';
import { expectErrorBody, type HttpResult, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, type TestUser, tokenFor } from '../support/users';
import { API, createAgent, createGrant, createProposal, createToggle, unique } from './rbac-fixtures';

/** The seed's roles, written out: the code's ROLE_PERMISSIONS must say exactly this. */
const SEED: Record<Role, readonly Permission[]> = {
  ADMIN: ALL_PERMISSIONS,
  OPERATOR: ['proposals:read', 'proposals:approve', 'agents:read', 'api-toggles:read', 'logs:read', 'metrics:read'],
  AUDITOR: ['proposals:read', 'agents:read', 'logs:read', 'metrics:read', 'audit:read'],
};

const ROLES: readonly Role[] = ['ADMIN', 'OPERATOR', 'AUDITOR'];
const FORBIDDEN_MESSAGE = 'You do not have permission to do this';

type Verdict = 'allow' | 'deny';
const Y: Verdict = 'allow';
const N: Verdict = 'deny';

interface Context {
  baseUrl: string;
  adminToken: string;
  /** A second ADMIN who authors the proposals others decide (no one decides their own). */
  authorToken: string;
  testApp: TestApp;
}

interface Prepared {
  path: string;
  json?: unknown;
  /** The resource a scoped route acts on, as the rbac.denied event must name it. */
  resource?: { type: string; id: string };
  /** After a refusal: the resource is as it was. */
  untouched?: () => Promise<void>;
}

interface RouteCase {
  route: string;
  handler: [Type, string];
  /** The permission the route declares; null for "any authenticated caller". */
  permission: Permission | null;
  verdicts: Record<Role, Verdict>;
  success: number;
  prepare: (context: Context) => Promise<Prepared>;
}

function row(
  route: string,
  handler: [Type, string],
  permission: Permission | null,
  [admin, operator, auditor]: [Verdict, Verdict, Verdict],
  success: number,
  prepare: (context: Context) => Promise<Prepared>,
): RouteCase {
  return {
    route,
    handler,
    permission,
    verdicts: { ADMIN: admin, OPERATOR: operator, AUDITOR: auditor },
    success,
    prepare,
  };
}

const runBody = { startedAt: '2030-01-01T00:00:00.000Z', durationMs: 5, findings: 1, success: true };

async function stillExists(context: Context, path: string): Promise<void> {
  expect((await request(context.baseUrl, path, { token: context.adminToken })).status).toBe(200);
}

async function agentCase(context: Context): Promise<{ id: string; name: string }> {
  return createAgent(context.baseUrl, context.adminToken);
}

async function freshUserId(context: Context): Promise<string> {
  return (await createUser(context.testApp.app, { role: 'AUDITOR' })).id;
}

/** A user enrolled in TOTP (the reset only clears it, so any stored secret will do). */
async function userWithMfa(context: Context): Promise<string> {
  const id = await freshUserId(context);
  await context.testApp.app
    .get(DataSource)
    .query(`UPDATE users SET totp_secret = 'enrolled', totp_enabled_at = now() WHERE id = $1`, [id]);
  return id;
}

// prettier-ignore
/**
 * The seed matrix, route by route. Columns: ADMIN, OPERATOR, AUDITOR. The first
 * test checks that this table is what ROLE_PERMISSIONS and each route's
 * declared permission imply; the rest drive every cell over HTTP.
 */
const MATRIX: RouteCase[] = [
  // agents
  row('GET /agents', [AgentsController, 'list'], Permission.AgentsRead, [Y, Y, Y], 200, () =>
    Promise.resolve({ path: `${API}/agents` })),
  row('GET /agents/:id', [AgentsController, 'get'], Permission.AgentsRead, [Y, Y, Y], 200, async (c) => {
    const agent = await agentCase(c);
    return { path: `${API}/agents/${agent.id}`, resource: { type: 'agent', id: agent.id } };
  }),
  row('POST /agents', [AgentsController, 'create'], Permission.AgentsManage, [Y, N, N], 201, () =>
    Promise.resolve({ path: `${API}/agents`, json: { name: unique('agent') } })),
  row('PATCH /agents/:id', [AgentsController, 'update'], Permission.AgentsManage, [Y, N, N], 200, async (c) => {
    const agent = await agentCase(c);
    const path = `${API}/agents/${agent.id}`;
    return {
      path,
      json: { description: 'changed' },
      resource: { type: 'agent', id: agent.id },
      untouched: async () => {
        const now = await request<{ description: string | null }>(c.baseUrl, path, { token: c.adminToken });
        expect(now.body.description).toBeNull();
      },
    };
  }),
  row('DELETE /agents/:id', [AgentsController, 'remove'], Permission.AgentsManage, [Y, N, N], 204, async (c) => {
    const agent = await agentCase(c);
    const path = `${API}/agents/${agent.id}`;
    return { path, resource: { type: 'agent', id: agent.id }, untouched: () => stillExists(c, path) };
  }),
  row('POST /agents/:id/runs', [AgentsController, 'recordRun'], Permission.AgentsManage, [Y, N, N], 201, async (c) => {
    const agent = await agentCase(c);
    return { path: `${API}/agents/${agent.id}/runs`, json: runBody, resource: { type: 'agent', id: agent.id } };
  }),
  row('GET /agents/:id/runs', [AgentsController, 'listRuns'], Permission.AgentsRead, [Y, Y, Y], 200, async (c) => {
    const agent = await agentCase(c);
    return { path: `${API}/agents/${agent.id}/runs`, resource: { type: 'agent', id: agent.id } };
  }),
  // proposals
  row('GET /proposals', [ProposalsController, 'list'], Permission.ProposalsRead, [Y, Y, Y], 200, () =>
    Promise.resolve({ path: `${API}/proposals` })),
  row('GET /proposals/:id', [ProposalsController, 'get'], Permission.ProposalsRead, [Y, Y, Y], 200, async (c) => {
    const proposal = await createProposal(c.baseUrl, c.authorToken);
    return { path: `${API}/proposals/${proposal.id}`, resource: { type: 'proposal', id: proposal.id } };
  }),
  row('POST /proposals', [ProposalsController, 'create'], Permission.ProposalsWrite, [Y, N, N], 201, () =>
    Promise.resolve({ path: `${API}/proposals`, json: { title: unique('title'), diff: '+x' } })),
  row('POST /proposals/:id/approve', [ProposalsController, 'approve'], Permission.ProposalsApprove, [Y, Y, N], 200,
    async (c) => {
      const proposal = await createProposal(c.baseUrl, c.authorToken);
      const path = `${API}/proposals/${proposal.id}`;
      return {
        path: `${path}/approve`,
        json: { comment: 'ok' },
        resource: { type: 'proposal', id: proposal.id },
        untouched: async () => {
          const now = await request<{ status: string }>(c.baseUrl, path, { token: c.adminToken });
          expect(now.body.status).toBe('pending');
        },
      };
    }),
  row('POST /proposals/:id/reject', [ProposalsController, 'reject'], Permission.ProposalsApprove, [Y, Y, N], 200,
    async (c) => {
      const proposal = await createProposal(c.baseUrl, c.authorToken);
      return { path: `${API}/proposals/${proposal.id}/reject`, json: {}, resource: { type: 'proposal', id: proposal.id } };
    }),
  // api-toggles
  row('GET /api-toggles', [ApiTogglesController, 'list'], Permission.ApiTogglesRead, [Y, Y, N], 200, () =>
    Promise.resolve({ path: `${API}/api-toggles` })),
  row('GET /api-toggles/:id', [ApiTogglesController, 'get'], Permission.ApiTogglesRead, [Y, Y, N], 200, async (c) => {
    const toggle = await createToggle(c.baseUrl, c.adminToken);
    return { path: `${API}/api-toggles/${toggle.id}`, resource: { type: 'api-toggle', id: toggle.id } };
  }),
  row('POST /api-toggles', [ApiTogglesController, 'create'], Permission.ApiTogglesWrite, [Y, N, N], 201, () =>
    Promise.resolve({ path: `${API}/api-toggles`, json: { name: unique('toggle'), costPerCall: 0.01 } })),
  row('PATCH /api-toggles/:id', [ApiTogglesController, 'update'], Permission.ApiTogglesWrite, [Y, N, N], 200,
    async (c) => {
      const toggle = await createToggle(c.baseUrl, c.adminToken);
      const path = `${API}/api-toggles/${toggle.id}`;
      return {
        path,
        json: { enabled: true },
        resource: { type: 'api-toggle', id: toggle.id },
        untouched: async () => {
          const now = await request<{ enabled: boolean }>(c.baseUrl, path, { token: c.adminToken });
          expect(now.body.enabled).toBe(false);
        },
      };
    }),
  // users
  row('POST /users', [UsersController, 'create'], Permission.UsersManage, [Y, N, N], 201, () => {
    const username = unique('created');
    return Promise.resolve({ path: `${API}/users`, json: { username, email: `${username}@example.test`, role: 'AUDITOR' } });
  }),
  row('GET /users', [UsersController, 'list'], Permission.UsersManage, [Y, N, N], 200, () =>
    Promise.resolve({ path: `${API}/users` })),
  row('GET /users/:id', [UsersController, 'get'], Permission.UsersManage, [Y, N, N], 200, async (c) => ({
    path: `${API}/users/${await freshUserId(c)}`,
  })),
  row('PATCH /users/:id', [UsersController, 'update'], Permission.UsersManage, [Y, N, N], 200, async (c) => ({
    path: `${API}/users/${await freshUserId(c)}`,
    json: { displayName: 'Renamed' },
  })),
  row('DELETE /users/:id', [UsersController, 'remove'], Permission.UsersManage, [Y, N, N], 204, async (c) => {
    const path = `${API}/users/${await freshUserId(c)}`;
    return { path, untouched: () => stillExists(c, path) };
  }),
  row('POST /users/:id/reset-password', [UsersController, 'resetPassword'], Permission.UsersManage, [Y, N, N], 200,
    async (c) => ({ path: `${API}/users/${await freshUserId(c)}/reset-password` })),
  row('POST /users/:id/mfa/reset', [UsersController, 'resetMfa'], Permission.UsersManage, [Y, N, N], 204,
    async (c) => ({ path: `${API}/users/${await userWithMfa(c)}/mfa/reset` })),
  row('POST /users/:id/unlock', [UsersController, 'unlock'], Permission.UsersManage, [Y, N, N], 200, async (c) => ({
    path: `${API}/users/${await freshUserId(c)}/unlock`,
  })),
  row('GET /users/:id/sessions', [UsersController, 'listSessions'], Permission.UsersManage, [Y, N, N], 200,
    async (c) => ({ path: `${API}/users/${await freshUserId(c)}/sessions` })),
  row('DELETE /users/:id/sessions', [UsersController, 'revokeSessions'], Permission.UsersManage, [Y, N, N], 204,
    async (c) => ({ path: `${API}/users/${await freshUserId(c)}/sessions` })),
  // rbac
  row('GET /rbac/roles', [RbacController, 'roles'], null, [Y, Y, Y], 200, () =>
    Promise.resolve({ path: `${API}/rbac/roles` })),
  row('GET /rbac/grants', [RbacController, 'listGrants'], Permission.UsersManage, [Y, N, N], 200, () =>
    Promise.resolve({ path: `${API}/rbac/grants` })),
  row('POST /rbac/grants', [RbacController, 'createGrant'], Permission.UsersManage, [Y, N, N], 201, async (c) => ({
    path: `${API}/rbac/grants`,
    json: { userId: await freshUserId(c), permission: Permission.AgentsRead },
  })),
  row('DELETE /rbac/grants/:id', [RbacController, 'revokeGrant'], Permission.UsersManage, [Y, N, N], 204, async (c) => {
    const grant = await createGrant(c.baseUrl, c.adminToken, {
      userId: await freshUserId(c),
      permission: Permission.LogsRead,
    });
    return {
      path: `${API}/rbac/grants/${grant.id}`,
      untouched: async () => {
        const check = await request<{ allowed: boolean }>(
          c.baseUrl,
          `${API}/rbac/check?userId=${grant.userId}&permission=${Permission.LogsRead}`,
          { token: c.adminToken },
        );
        expect(check.body.allowed).toBe(true);
      },
    };
  }),
  row('GET /rbac/check', [RbacController, 'check'], Permission.UsersManage, [Y, N, N], 200, async (c) => ({
    path: `${API}/rbac/check?userId=${await freshUserId(c)}&permission=${Permission.AgentsRead}`,
  })),
];

const METHOD_NAMES = (controller: Type): string[] =>
  Object.getOwnPropertyNames(controller.prototype).filter((name) => name !== 'constructor');

function declaredRequirement([controller, handler]: [Type, string]): AccessRequirement | undefined {
  const method = (controller.prototype as Record<string, object>)[handler];
  return (
    (Reflect.getMetadata(ACCESS_REQUIREMENT, method) as AccessRequirement | undefined) ??
    (Reflect.getMetadata(ACCESS_REQUIREMENT, controller) as AccessRequirement | undefined)
  );
}

async function send(baseUrl: string, routeCase: RouteCase, prepared: Prepared, token?: string): Promise<HttpResult> {
  const method = routeCase.route.split(' ')[0];
  return request(baseUrl, prepared.path, { method, token, json: prepared.json });
}

describe('rbac: the seed matrix, route by route', () => {
  let testApp: TestApp;
  const context = {} as Context;
  const users = {} as Record<Role, TestUser>;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    testApp = await createTestApp();
    const author = await createUser(testApp.app, { role: 'ADMIN' });
    for (const role of ROLES) {
      users[role] = await createUser(testApp.app, { role });
      tokens[role] = await tokenFor(testApp.baseUrl, users[role]);
    }
    Object.assign(context, {
      testApp,
      baseUrl: testApp.baseUrl,
      adminToken: tokens.ADMIN,
      authorToken: await tokenFor(testApp.baseUrl, author),
    });
  });
  afterAll(() => testApp.close());

  it('has roles exactly as the seed sets them, in code and over the API', async () => {
    for (const role of ROLES) {
      expect([...ROLE_PERMISSIONS[role]].sort()).toEqual([...SEED[role]].sort());
    }
    const roles = await request<{ role: string; permissions: string[] }[]>(testApp.baseUrl, `${API}/rbac/roles`, {
      token: tokens.AUDITOR,
    });
    expect(roles.status).toBe(200);
    expect(roles.body.map((entry) => ({ ...entry, permissions: [...entry.permissions].sort() }))).toEqual(
      ROLES.map((role) => ({ role, permissions: [...SEED[role]].sort() })),
    );
  });

  it('covers every route of the guarded controllers, and agrees with each route’s declared permission', () => {
    for (const controller of [
      AgentsController,
      ProposalsController,
      ApiTogglesController,
      UsersController,
      RbacController,
    ]) {
      const inTable = MATRIX.filter((routeCase) => routeCase.handler[0] === controller).map((c) => c.handler[1]);
      expect([...inTable].sort()).toEqual(METHOD_NAMES(controller).sort());
    }
    for (const routeCase of MATRIX) {
      const requirement = declaredRequirement(routeCase.handler);
      expect({ route: routeCase.route, permissions: requirement?.permissions }).toEqual({
        route: routeCase.route,
        permissions: routeCase.permission === null ? [] : [routeCase.permission],
      });
      for (const role of ROLES) {
        const implied = routeCase.permission === null || ROLE_PERMISSIONS[role].includes(routeCase.permission) ? Y : N;
        expect({ route: routeCase.route, role, verdict: routeCase.verdicts[role] }).toEqual({
          route: routeCase.route,
          role,
          verdict: implied,
        });
      }
    }
  });

  describe.each(ROLES)('as %s', (role) => {
    it.each(MATRIX.map((routeCase) => [routeCase.route, routeCase] as const))('%s', async (_route, routeCase) => {
      const prepared = await routeCase.prepare(context);
      const denials = recordEvents(testApp.app, 'rbac.denied');
      const result = await send(testApp.baseUrl, routeCase, prepared, tokens[role]);
      denials.stop();
      if (routeCase.verdicts[role] === Y) {
        expect({ status: result.status, body: result.body }).toEqual({
          status: routeCase.success,
          body: expect.anything(),
        });
        expect(denials.events).toEqual([]);
        return;
      }
      expectErrorBody(result, 403);
      expect((result.body as { message: string }).message).toBe(FORBIDDEN_MESSAGE);
      // Who, what, on which resource, and why.
      expect(denials.events).toEqual([
        {
          name: 'rbac.denied',
          payload: publishedEvent(
            {
              userId: users[role].id,
              username: users[role].username,
              permissions: [routeCase.permission],
              resourceType: prepared.resource?.type,
              resourceId: prepared.resource?.id,
            },
            expect.objectContaining({
              traceId: result.headers.get('x-request-id') ?? undefined,
              actor: expect.objectContaining({ userId: users[role].id }),
            }),
          ),
        },
      ]);
      await prepared.untouched?.();
    });
  });

  it.each(MATRIX.map((routeCase) => [routeCase.route, routeCase] as const))(
    '%s without a token is the uniform 401',
    async (_route, routeCase) => {
      const prepared = await routeCase.prepare(context);
      expectErrorBody(await send(testApp.baseUrl, routeCase, prepared), 401);
      await prepared.untouched?.();
    },
  );
});
