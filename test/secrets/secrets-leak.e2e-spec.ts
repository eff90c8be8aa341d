import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { LogStoreWriter } from '../../src/observability/logging/log-store-writer.service';
import { Role } from '../../src/rbac/role';
import { createTestApp, TEST_MASTER_KEYS, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';
import { waitUntil } from '../support/wait';
import { ResponseLog, secretPath, type SecretValue } from './secrets-support';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
/** The only answers allowed to carry a value: the value endpoint's and transit decrypt's. */
const ISSUING = /\/value(\?|$)|\/decrypt$/;

describe('no secret value leaks', () => {
  let testApp: TestApp;
  let logDir: string;
  const responses = new ResponseLog();
  const values: string[] = [];

  beforeAll(async () => {
    logDir = await mkdtemp(join(tmpdir(), 'sentinel-secrets-leak-'));
    testApp = await createTestApp({
      LOG_LEVEL: 'debug',
      LOG_STORE_LEVEL: 'debug',
      LOGS_FILE: join(logDir, 'app.log'),
    });
  });
  afterAll(async () => {
    await testApp.close();
    await rm(logDir, { recursive: true, force: true });
  });

  it('finds no value, plaintext or master key in any other answer, log line or audit row', async () => {
    const { baseUrl } = testApp;
    const token = await tokenFor(baseUrl, await createUser(testApp.app, { role: Role.Admin }));
    const call = <T>(path: string, method = 'GET', json?: unknown) =>
      responses.call<T>(baseUrl, path, { method, token, json });

    const given = ['leak-marker-given-value-1', 'leak-marker-written-value-2', 'leak-marker-stale-value-3'];
    values.push(...given);
    await call('/api/v1/secrets', 'POST', { name: 'leak/given', type: 'api_key', value: given[0] });
    await call('/api/v1/secrets', 'POST', { name: 'leak/generated', type: 'password' });
    await call(secretPath('leak/given'), 'PUT', { value: given[1], cas: 1 });
    await call(secretPath('leak/given'), 'PUT', { value: given[2], cas: 1 });
    await call(secretPath('leak/given'), 'PUT', { value: 'x'.repeat(70_000) });
    await call(secretPath('leak/generated', '/rotate'), 'POST');
    await call('/api/v1/secrets', 'POST', { name: 'leak/duplicate', type: 'generic', value: given[0] });
    await call('/api/v1/secrets', 'POST', { name: 'leak/duplicate', type: 'generic', value: given[0] });
    for (const version of [1, 2]) {
      const read = await call<SecretValue>(secretPath('leak/generated', `/value?version=${version}`));
      values.push(read.body.value);
    }
    await call(secretPath('leak/given', '/value'));
    await call(secretPath('leak/given', '/value?version=1'));
    await call('/api/v1/secrets?prefix=leak/');
    await call(secretPath('leak/given'));
    await call(secretPath('leak/generated'));

    const plaintext = 'leak-marker-transit-plaintext';
    values.push(plaintext, b64(plaintext));
    await call('/api/v1/transit/keys', 'POST', { name: 'leak-key' });
    const encrypted = await call<{ ciphertext: string }>('/api/v1/transit/keys/leak-key/encrypt', 'POST', {
      plaintext: b64(plaintext),
      context: b64('ctx'),
    });
    await call('/api/v1/transit/keys/leak-key/rotate', 'POST');
    await call('/api/v1/transit/keys/leak-key/rewrap', 'POST', {
      ciphertext: encrypted.body.ciphertext,
      context: b64('ctx'),
    });
    await call('/api/v1/transit/keys/leak-key/decrypt', 'POST', {
      ciphertext: encrypted.body.ciphertext,
      context: b64('ctx'),
    });
    await call('/api/v1/transit/keys/leak-key/decrypt', 'POST', { ciphertext: encrypted.body.ciphertext });
    await call('/api/v1/transit/keys/leak-key');

    // A stored value altered in the database: the refusal must not carry it either.
    const sql = testApp.app.get(DataSource);
    await sql.query(
      `UPDATE secret_versions SET ciphertext = set_byte(ciphertext, 20, get_byte(ciphertext, 20) # 1)
        WHERE secret_id = (SELECT id FROM secrets WHERE name = 'leak/given') AND version = 2`,
    );
    await call(secretPath('leak/given', '/value?version=2'));
    await call('/metrics');
    await call('/api/v1/metrics');
    await call('/docs-json');
    await call('/api/v1/audit-logs?limit=100');
    await call('/api/v1/logs?limit=100');

    // Everything recorded off the request path has landed.
    await waitUntil(async () => {
      const [row] = await sql.query<{ count: number }[]>(
        `SELECT count(*)::int AS count FROM audit_logs WHERE action_type = 'secret.read'`,
      );
      return row.count >= 4;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await testApp.app.get(LogStoreWriter).flush();

    const masterKey = TEST_MASTER_KEYS.split(':')[1];
    const haystacks: { where: string; text: string }[] = [
      ...responses.entries
        .filter((entry) => !ISSUING.test(entry.path))
        .map((entry) => ({ where: `${entry.method} ${entry.path}`, text: entry.text })),
      { where: 'log file', text: await readFile(join(logDir, 'app.log'), 'utf8').catch(() => '') },
      ...(await sql.query<{ text: string }[]>(`SELECT row_to_json(l)::text AS text FROM app_logs l`)).map((row) => ({
        where: 'app_logs',
        text: row.text,
      })),
      ...(await sql.query<{ text: string }[]>(`SELECT row_to_json(a)::text AS text FROM audit_logs a`)).map((row) => ({
        where: 'audit_logs',
        text: row.text,
      })),
      ...(await sql.query<{ text: string }[]>(`SELECT row_to_json(o)::text AS text FROM audit_outbox o`)).map(
        (row) => ({ where: 'audit_outbox', text: row.text }),
      ),
    ];
    expect(haystacks.length).toBeGreaterThan(30);
    const leaks = haystacks.flatMap((haystack) =>
      [...values, masterKey]
        .filter((value) => haystack.text.includes(value))
        .map((value) => `${haystack.where}: ${value}`),
    );
    expect(leaks).toEqual([]);
    // The issuing answers did carry them, so the search would have found a leak.
    const issued = responses.entries
      .filter((entry) => ISSUING.test(entry.path))
      .map((entry) => entry.text)
      .join('\n');
    expect(issued).toContain(given[0]);
    expect(issued).toContain(b64(plaintext));
  });
});
