import { DataSource } from 'typeorm';
import { Permission } from '../../src/rbac/permission';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';
import {
  API,
  createAgent,
  createGrant,
  createProposal,
  createToggle,
  createUserViaApi,
  expectStatus,
  type Page,
  recordRun,
  unique,
} from './rbac-fixtures';

interface Listed {
  id: string;
}

/** The little of an OpenAPI operation this file reads. */
interface OpenApiOperation {
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
  responses: Record<string, { content?: Record<string, { schema: { allOf?: { $ref?: string }[] } }> } | undefined>;
}

/** Every list endpoint, with what it takes to have at least three items in it. */
const LISTS: { name: string; prepare: (baseUrl: string, token: string, testApp: TestApp) => Promise<string> }[] = [
  {
    name: 'users',
    prepare: async (baseUrl, token) => {
      const tag = unique('page').replace('-', '');
      for (const name of ['a', 'b', 'c', 'd']) {
        await createUserViaApi(baseUrl, token, { username: `${tag}-${name}`, email: `${name}.${tag}@example.test` });
      }
      return `${API}/users?q=${tag}`;
    },
  },
  {
    name: 'grants',
    prepare: async (baseUrl, token, testApp) => {
      const user = await createUser(testApp.app, { role: 'AUDITOR' });
      for (const permission of [
        Permission.LogsRead,
        Permission.MetricsRead,
        Permission.AgentsManage,
        Permission.AuditRead,
      ]) {
        await createGrant(baseUrl, token, { userId: user.id, permission });
      }
      return `${API}/rbac/grants?userId=${user.id}`;
    },
  },
  {
    name: 'agents',
    prepare: async (baseUrl, token) => {
      for (let index = 0; index < 4; index += 1) await createAgent(baseUrl, token);
      return `${API}/agents`;
    },
  },
  {
    name: 'agent runs',
    prepare: async (baseUrl, token) => {
      const agent = await createAgent(baseUrl, token);
      for (const minute of [10, 20, 30, 40]) {
        await recordRun(baseUrl, token, agent.id, { startedAt: `2030-01-01T00:${minute}:00.000Z` });
      }
      return `${API}/agents/${agent.id}/runs`;
    },
  },
  {
    name: 'proposals',
    prepare: async (baseUrl, token) => {
      for (let index = 0; index < 4; index += 1) await createProposal(baseUrl, token);
      return `${API}/proposals`;
    },
  },
  {
    name: 'api-toggles',
    prepare: async (baseUrl, token) => {
      for (let index = 0; index < 4; index += 1) await createToggle(baseUrl, token);
      return `${API}/api-toggles`;
    },
  },
];

describe('pagination: the same on every list endpoint', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    baseUrl = testApp.baseUrl;
    token = await tokenFor(baseUrl, await createUser(testApp.app, { role: 'ADMIN' }));
  });
  afterAll(() => testApp.close());

  const withQuery = (path: string, query: string) => `${path}${path.includes('?') ? '&' : '?'}${query}`;

  async function list(path: string): Promise<Page<Listed>> {
    const result = await request<Page<Listed>>(baseUrl, path, { token });
    expectStatus(result, 200);
    return result.body;
  }

  it.each(LISTS.map((entry) => [entry.name, entry] as const))(
    '%s: {items, total, limit, offset}, honouring limit and offset',
    async (_name, entry) => {
      const path = await entry.prepare(baseUrl, token, testApp);
      const all = await list(withQuery(path, 'limit=100'));
      expect(Object.keys(all).sort()).toEqual(['items', 'limit', 'offset', 'total']);
      expect(all).toMatchObject({ limit: 100, offset: 0 });
      expect(all.total).toBeGreaterThanOrEqual(4);
      expect(all.items).toHaveLength(all.total);
      const ids = all.items.map((item) => item.id);
      expect(new Set(ids).size).toBe(ids.length);

      const byDefault = await list(path);
      expect(byDefault).toMatchObject({ limit: 20, offset: 0, total: all.total });
      expect(byDefault.items.map((item) => item.id)).toEqual(ids.slice(0, 20));

      const middle = await list(withQuery(path, 'limit=2&offset=1'));
      expect(middle).toMatchObject({ limit: 2, offset: 1, total: all.total });
      expect(middle.items.map((item) => item.id)).toEqual(ids.slice(1, 3));

      // Page by page, one at a time, gives every item exactly once, in order.
      const walked: string[] = [];
      for (let offset = 0; offset < all.total; offset += 1) {
        walked.push(...(await list(withQuery(path, `limit=1&offset=${offset}`))).items.map((item) => item.id));
      }
      expect(walked).toEqual(ids);

      const beyond = await list(withQuery(path, `offset=${all.total}`));
      expect(beyond).toEqual({ items: [], total: all.total, limit: 20, offset: all.total });

      for (const bad of ['limit=0', 'limit=101', 'limit=-1', 'limit=1.5', 'limit=ten', 'offset=-1', 'offset=x']) {
        expectErrorBody(await request(baseUrl, withQuery(path, bad), { token }), 400);
      }
    },
  );

  it('pages agent runs that started at the same instant without repeating or losing one', async () => {
    const agent = await createAgent(baseUrl, token);
    const ids: string[] = [];
    for (let index = 0; index < 12; index += 1) {
      ids.push((await recordRun(baseUrl, token, agent.id, { startedAt: '2030-02-02T00:00:00.000Z' })).id);
    }
    const path = `${API}/agents/${agent.id}/runs`;
    const walked: string[] = [];
    for (let offset = 0; offset < ids.length; offset += 1) {
      walked.push(...(await list(`${path}?limit=1&offset=${offset}`)).items.map((item) => item.id));
    }
    expect([...walked].sort()).toEqual([...ids].sort());
    const pairs: string[] = [];
    for (let offset = 0; offset < ids.length; offset += 2) {
      pairs.push(...(await list(`${path}?limit=2&offset=${offset}`)).items.map((item) => item.id));
    }
    expect(pairs).toEqual(walked);
  });

  /** Walks a list one item at a time and two at a time: both must give every item once, in the same order. */
  async function expectStablePaging(path: string, expected: string[]): Promise<void> {
    const all = await list(withQuery(path, 'limit=100'));
    expect(all.total).toBeLessThanOrEqual(100);
    const ids = all.items.map((item) => item.id);
    expect(ids).toEqual(expect.arrayContaining(expected));
    const single: string[] = [];
    for (let offset = 0; offset < all.total; offset += 1) {
      single.push(...(await list(withQuery(path, `limit=1&offset=${offset}`))).items.map((item) => item.id));
    }
    expect(single).toEqual(ids);
    const pairs: string[] = [];
    for (let offset = 0; offset < all.total; offset += 2) {
      pairs.push(...(await list(withQuery(path, `limit=2&offset=${offset}`))).items.map((item) => item.id));
    }
    expect(pairs).toEqual(ids);
  }

  it('pages proposals created at the same instant without repeating or losing one', async () => {
    const rows = await testApp.app.get(DataSource).query<{ id: string }[]>(
      `INSERT INTO code_proposals (title, diff, created_at)
       SELECT 'tied ' || n, '+x', '2030-03-03T00:00:00Z' FROM generate_series(1, 12) AS n RETURNING id`,
    );
    await expectStablePaging(
      `${API}/proposals`,
      rows.map((row) => row.id),
    );
  });

  it('pages grants made at the same instant without repeating or losing one', async () => {
    const user = await createUser(testApp.app, { role: 'AUDITOR' });
    const rows = await testApp.app.get(DataSource).query<{ id: string }[]>(
      `INSERT INTO permission_grants (user_id, permission, created_at)
       SELECT $1, 'logs:read', '2030-03-03T00:00:00Z' FROM generate_series(1, 12) RETURNING id`,
      [user.id],
    );
    await expectStablePaging(
      `${API}/rbac/grants?userId=${user.id}`,
      rows.map((row) => row.id),
    );
  });

  it('documents the paging of every list endpoint once, the same way', async () => {
    const docs = await request<{ paths: Record<string, { get?: OpenApiOperation } | undefined> }>(
      baseUrl,
      '/docs-json',
    );
    const listPaths = [
      '/api/v1/users',
      '/api/v1/rbac/grants',
      '/api/v1/agents',
      '/api/v1/agents/{id}/runs',
      '/api/v1/proposals',
      '/api/v1/api-toggles',
    ];
    for (const path of listPaths) {
      const operation = docs.body.paths[path]?.get;
      const query = Object.fromEntries(
        (operation?.parameters ?? []).filter((parameter) => parameter.in === 'query').map((p) => [p.name, p.schema]),
      );
      expect({ path, limit: query.limit, offset: query.offset }).toEqual({
        path,
        limit: expect.objectContaining({ minimum: 1, maximum: 100, default: 20 }),
        offset: expect.objectContaining({ minimum: 0, default: 0 }),
      });
      const schema = operation?.responses['200']?.content?.['application/json']?.schema;
      expect({ path, page: schema?.allOf?.[0]?.$ref }).toEqual({ path, page: '#/components/schemas/PageDto' });
    }
  });
});
