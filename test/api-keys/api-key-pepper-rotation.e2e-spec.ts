import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request, type HttpResult } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { createUser, tokenFor, type TestUser } from '../support/users';

const LEGACY = 'legacy-single-api-key-pepper-0123456789abcdef';
const OLD = 'old-api-key-pepper-p1-0123456789abcdef0123';
const NEW = 'new-api-key-pepper-p2-0123456789abcdef0123';

interface IssuedKey {
  id: string;
  key: string;
}

// One app at a time on one database, restarted with each API_KEY_PEPPER an operator would set.
describe('API keys: rotating API_KEY_PEPPER', () => {
  let database: { url: string; drop: () => Promise<void> };
  let owner: TestUser | undefined;
  let logDir: string;
  const keys: Record<string, IssuedKey> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    logDir = await mkdtemp(join(tmpdir(), 'sentinel-pepper-rotation-'));
  });
  afterAll(async () => {
    await database.drop();
    await rm(logDir, { recursive: true, force: true });
  });

  async function withApp(pepper: string, fn: (testApp: TestApp, token: string) => Promise<void>, logFile = '') {
    const testApp = await createTestApp({ API_KEY_PEPPER: pepper, LOGS_FILE: logFile }, { databaseUrl: database.url });
    try {
      owner ??= await createUser(testApp.app, { role: Role.Operator });
      await fn(testApp, await tokenFor(testApp.baseUrl, owner));
    } finally {
      await testApp.close();
    }
  }

  const me = (testApp: TestApp, key: string): Promise<HttpResult> =>
    request(testApp.baseUrl, '/api/v1/auth/me', { headers: { 'x-api-key': key } });

  async function issue(testApp: TestApp, token: string, name: string): Promise<IssuedKey> {
    const issued = await request<IssuedKey>(testApp.baseUrl, '/api/v1/api-keys', {
      method: 'POST',
      token,
      json: { name },
    });
    expect(issued.status).toBe(201);
    return issued.body;
  }

  async function pepperOf(testApp: TestApp, id: string): Promise<{ pepper_id: string; previous: string | null }> {
    const [row] = await testApp.app
      .get(DataSource)
      .query<{ pepper_id: string; previous: string | null }[]>(
        'SELECT pepper_id, previous_secret_pepper_id AS previous FROM api_keys WHERE id = $1',
        [id],
      );
    return row;
  }

  it('hashes under a single pepper as before, with the implicit id p0', async () => {
    await withApp(LEGACY, async (testApp, token) => {
      keys.legacy = await issue(testApp, token, 'legacy');
      expect((await me(testApp, keys.legacy.key)).status).toBe(200);
      expect(await pepperOf(testApp, keys.legacy.id)).toEqual({ pepper_id: 'p0', previous: null });
    });
  });

  it('keeps p0 keys working under a list that names it, and hashes new keys under the first', async () => {
    await withApp(`p1:${OLD},p0:${LEGACY}`, async (testApp, token) => {
      expect((await me(testApp, keys.legacy.key)).status).toBe(200);
      keys.p1 = await issue(testApp, token, 'under p1');
      expect(await pepperOf(testApp, keys.p1.id)).toEqual({ pepper_id: 'p1', previous: null });
    });
  });

  it('after a restart with p2:new,p1:old, keeps p1 keys working, hashes new ones under p2, and re-hashes on rotation', async () => {
    const log = join(logDir, 'p2-p1.log');
    await withApp(
      `p2:${NEW},p1:${OLD}`,
      async (testApp, token) => {
        expect((await me(testApp, keys.p1.key)).status).toBe(200);
        keys.p2 = await issue(testApp, token, 'under p2');
        expect(await pepperOf(testApp, keys.p2.id)).toEqual({ pepper_id: 'p2', previous: null });
        expect((await me(testApp, keys.p2.key)).status).toBe(200);

        // A rotation hashes the new secret under the newest pepper; the old secret keeps its own for the grace.
        const rotated = await request<IssuedKey>(testApp.baseUrl, `/api/v1/api-keys/${keys.p1.id}/rotate`, {
          method: 'POST',
          token,
          json: { graceMinutes: 60 },
        });
        expect(rotated.status).toBe(200);
        expect(await pepperOf(testApp, keys.p1.id)).toEqual({ pepper_id: 'p2', previous: 'p1' });
        expect((await me(testApp, rotated.body.key)).status).toBe(200);
        expect((await me(testApp, keys.p1.key)).status).toBe(200);
        keys.p1Old = keys.p1;
        keys.p1 = rotated.body;

        // p0 is no longer listed: its key is refused like any bad key, and the gap is logged once.
        const unknownKey = await me(testApp, `${keys.p2.key.slice(0, 21)}${'A'.repeat(43)}`);
        for (let i = 0; i < 2; i++) {
          const refused = await me(testApp, keys.legacy.key);
          expectErrorBody(refused, 401);
          expect(refused.body).toEqual({
            ...(unknownKey.body as object),
            traceId: refused.headers.get('x-request-id'),
          });
        }
      },
      log,
    );
    const text = await readFile(log, 'utf8');
    // JSON lines: the quotes around the id are escaped.
    expect(text.split('\n').filter((line) => line.includes('pepper id \\"p0\\"'))).toHaveLength(1);
    for (const secret of [LEGACY, OLD, NEW, keys.legacy.key, keys.p2.key]) expect(text).not.toContain(secret);
  });

  it('with only p2, refuses the keys hashed under p1 and p0 with the uniform 401 and keeps the p2 ones', async () => {
    await withApp(`p2:${NEW}`, async (testApp) => {
      expect((await me(testApp, keys.p2.key)).status).toBe(200);
      expect((await me(testApp, keys.p1.key)).status).toBe(200);
      for (const key of [keys.legacy.key, keys.p1Old.key]) expectErrorBody(await me(testApp, key), 401);
    });
  });
});
