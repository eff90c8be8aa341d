import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Role } from '../../src/rbac/role';
import { SecretsService } from '../../src/secrets/secrets.service';
import { request } from '../support/http';
import { createTestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { createUser, tokenFor, type TestUser } from '../support/users';
import { secretPath, type SecretValue } from './secrets-support';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const OLD = `old1:${Buffer.alloc(32, 21).toString('base64')}`;
const NEW = `new2:${Buffer.alloc(32, 22).toString('base64')}`;

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      JWT_SECRET: 'test-only-jwt-secret-0123456789abcdef',
      API_KEY_PEPPER: 'test-only-api-key-pepper-0123456789abcdef',
      AUDIT_CHAIN_KEY: 'test-only-audit-chain-key-0123456789abcdef',
      BACKUP_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      LOGS_FILE: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

describe('master-key rotation: secrets rewrap', () => {
  let database: { url: string; drop: () => Promise<void> };
  let admin: TestUser;
  let ciphertext: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first (npm test does)`);
    database = await createTestDatabase();
    const first = await createTestApp({ SECRETS_MASTER_KEYS: OLD }, { databaseUrl: database.url });
    admin = await createUser(first.app, { role: Role.Admin });
    const token = await tokenFor(first.baseUrl, admin);
    for (const [name, value] of [
      ['rewrap/a', 'rewrap-value-a'],
      ['rewrap/b', 'rewrap-value-b'],
    ]) {
      const created = await request(first.baseUrl, '/api/v1/secrets', {
        method: 'POST',
        token,
        json: { name, type: 'generic', value },
      });
      expect(created.status).toBe(201);
    }
    await request(first.baseUrl, '/api/v1/transit/keys', { method: 'POST', token, json: { name: 'fields' } });
    const encrypted = await request<{ ciphertext: string }>(first.baseUrl, '/api/v1/transit/keys/fields/encrypt', {
      method: 'POST',
      token,
      json: { plaintext: Buffer.from('field value').toString('base64') },
    });
    ciphertext = encrypted.body.ciphertext;
    await first.close();
  });
  afterAll(() => database.drop());

  async function withApp<T>(keys: string, fn: (baseUrl: string, token: string) => Promise<T>): Promise<T> {
    const app = await createTestApp({ SECRETS_MASTER_KEYS: keys }, { databaseUrl: database.url });
    try {
      return await fn(app.baseUrl, await tokenFor(app.baseUrl, admin));
    } finally {
      await app.close();
    }
  }

  async function masterKeyIds(): Promise<string[]> {
    const sql = await new DataSource({ type: 'postgres', url: database.url }).initialize();
    try {
      const rows = await sql.query<{ id: string }[]>(
        `SELECT master_key_id AS id FROM secrets UNION ALL SELECT master_key_id FROM transit_key_versions`,
      );
      return [...new Set(rows.map((row) => row.id))];
    } finally {
      await sql.destroy();
    }
  }

  it('accepts every key of the ring during the change-over, then moves every data key to the newest', async () => {
    // The new key first, the old one still listed: everything reads, new secrets are wrapped by the new key.
    await withApp(`${NEW},${OLD}`, async (baseUrl, token) => {
      const read = await request<SecretValue>(baseUrl, secretPath('rewrap/a', '/value'), { token });
      expect(read.body.value).toBe('rewrap-value-a');
      await request(baseUrl, '/api/v1/secrets', {
        method: 'POST',
        token,
        json: { name: 'rewrap/c', type: 'generic', value: 'rewrap-value-c' },
      });
    });
    expect((await masterKeyIds()).sort()).toEqual(['new2', 'old1']);

    const result = await cli(['secrets', 'rewrap'], {
      DATABASE_URL: database.url,
      SECRETS_MASTER_KEYS: `${NEW},${OLD}`,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /re-wrapped 2 secret data keys, 1 transit key versions, 1 JWT signing keys and the TOTP secrets of 0 users under master key new2/,
    );
    expect(await masterKeyIds()).toEqual(['new2']);

    // The old key can now leave the ring: values and ciphertexts are intact.
    await withApp(NEW, async (baseUrl, token) => {
      for (const [name, value] of [
        ['rewrap/a', 'rewrap-value-a'],
        ['rewrap/b', 'rewrap-value-b'],
        ['rewrap/c', 'rewrap-value-c'],
      ]) {
        expect((await request<SecretValue>(baseUrl, secretPath(name, '/value'), { token })).body.value).toBe(value);
      }
      const decrypted = await request<{ plaintext: string }>(baseUrl, '/api/v1/transit/keys/fields/decrypt', {
        method: 'POST',
        token,
        json: { ciphertext },
      });
      expect(Buffer.from(decrypted.body.plaintext, 'base64').toString()).toBe('field value');
    });

    // A ring without the key that wraps the data refuses it with a clear error, not a 500.
    const stranger = await createTestApp(
      { SECRETS_MASTER_KEYS: `third:${Buffer.alloc(32, 23).toString('base64')}` },
      { databaseUrl: database.url },
    );
    try {
      await expect(stranger.app.get(SecretsService).readValue('rewrap/a')).rejects.toMatchObject({
        code: 'SECRET_INTEGRITY_FAILED',
        status: 422,
      });
    } finally {
      await stranger.close();
    }
  });
});
