import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { AppendStore } from '../../src/database/append-store/append-store.service';
import { ALL_PERMISSIONS } from '../../src/rbac/permission';
import { Role } from '../../src/rbac/role';
import { request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor, type TestUser } from '../support/users';
import { waitUntil } from '../support/wait';

/**
 * Seeded, so a failure names a case that replays: FUZZ_SEED=<seed> reruns it, FUZZ_CASES widens the
 * search (cases per operation; CI runs the default budget).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const CASES_PER_OPERATION = Number(process.env.FUZZ_CASES ?? 30);
/** A request still unanswered after this long is a hang. */
const REQUEST_TIMEOUT_MS = 10_000;
const UNIFORM_KEYS = ['code', 'error', 'message', 'statusCode', 'traceId'];
const STACK_TRACE = /\bat \S+ \(|\bat (?:async )?[\w.<>]+ \(?\/|\.[jt]s:\d+:\d+|node:internal/;

/** The lists read as ADMIN before and after the fuzz; each is a collection a fuzzed request could grow or shrink. */
const COLLECTIONS = [
  '/api/v1/users',
  '/api/v1/agents',
  '/api/v1/proposals',
  '/api/v1/api-toggles',
  '/api/v1/api-keys',
  '/api/v1/rbac/grants',
  '/api/v1/backups',
  '/api/v1/restores',
  '/api/v1/security/policies',
  '/api/v1/security/blocks',
  '/api/v1/secrets',
] as const;
type Collection = (typeof COLLECTIONS)[number];

interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: string }[];
  bodySchema?: string;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Operation['parameters']; requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }
    >
  >;
  components: { schemas: Record<string, { properties?: Record<string, unknown> } | undefined> };
}

/** Request headers; an array goes out as repeated header lines. */
type FuzzHeaders = Record<string, string | string[]>;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const hostileText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'a\udc00b',
    '\u202e\ufeff\u200b',
    '🦄'.repeat(30),
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    "1'; SELECT pg_sleep(30); --",
    '{"$gt":""}',
    '","role":"ADMIN","x":"',
    '../../../etc/passwd',
    '%00',
    '__proto__',
    'constructor',
    'x'.repeat(5000),
    'é'.repeat(70_000),
    '9'.repeat(40),
    '-1',
    '-0',
    '1e308',
    '1e400',
    '9223372036854775808',
    'NaN',
    'Infinity',
    '',
    ' ',
    'true',
    'null',
    '00000000-0000-0000-0000-000000000000',
  ),
);

const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileText,
    fc.integer(),
    fc.double(),
    fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, -0, 2 ** 31, -(2 ** 31) - 1, Number.MIN_VALUE),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(hostileText, fc.constantFrom('__proto__', 'constructor', 'prototype')), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

/** JSON text no JSON.stringify writes: numbers past a double, duplicate and prototype keys, deep nesting, broken JSON. */
const rawJson = fc.constantFrom(
  '{"limit":1e999,"name":-0,"value":9223372036854775808}',
  '{"__proto__":{"isAdmin":true,"role":"ADMIN"},"constructor":{"prototype":{"polluted":1}}}',
  '{"name":"a","name":"b","role":"ADMIN","role":"AUDITOR"}',
  '{"name":"\\u0000","value":"\\ud800","username":"\\udfff\\ud800"}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
  '{"name":',
  '',
  'null',
  '"just a string"',
  '[1,2,3]',
  'NaN',
  '{"password":{"$ne":null},"username":{"$gt":""}}',
);

/** A body shaped like the route's DTO (so validation runs field by field), with hostile values and extra keys. */
function bodyFor(document: OpenApiDocument, schemaName: string | undefined): fc.Arbitrary<Buffer> {
  const properties = Object.keys((schemaName && document.components.schemas[schemaName]?.properties) ?? {});
  const shaped = fc.record(Object.fromEntries(properties.map((name) => [name, hostileValue])), { requiredKeys: [] });
  return fc.oneof(
    { arbitrary: shaped.map(json), weight: 3 },
    { arbitrary: hostileValue.map(json), weight: 1 },
    {
      arbitrary: fc.tuple(shaped, fc.dictionary(hostileText, hostileValue)).map(([a, b]) => json({ ...b, ...a })),
      weight: 1,
    },
    { arbitrary: rawJson.map((text) => Buffer.from(text)), weight: 1 },
    // Bytes that are not UTF-8 at all: a lone surrogate's encoding and a truncated sequence.
    {
      arbitrary: fc.constant(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0xc3, 0x22, 0x7d])),
      weight: 1,
    },
  );
}

function json(value: unknown): Buffer {
  // JSON.stringify writes a lone surrogate as the escape "\ud800", which the server must parse and refuse.
  return Buffer.from(JSON.stringify(value ?? null));
}

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=fuzz',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/vnd.api+json',
      'application/xml',
      ';;;',
    ),
    weight: 3,
  },
);

/** Header values Node's client can put on the wire (no CR, LF or NUL: those the raw-http hostile tests send). */
const headerText = fc.oneof(
  fc
    .string({ unit: 'binary', maxLength: 60 })
    .map((text) => text.replace(/[^\t\u0020-\u007e\u0080-\u00ff]/g, '').trim() || '-'),
  fc.constantFrom(
    'unknown',
    '999.999.999.999',
    '::ffff:127.0.0.1',
    'fe80::1%eth0',
    '1.2.3.4, , ,;, garbage',
    '127.0.0.1:8080',
    '-1',
    '\u00ff\u00fe',
    'a'.repeat(1500),
  ),
);

/** Odd headers beside the caller's credentials; duplicates go out as repeated header lines. */
const extraHeaders: fc.Arbitrary<FuzzHeaders> = fc.record(
  {
    'x-forwarded-for': fc.oneof(headerText, fc.array(headerText, { minLength: 2, maxLength: 3 })),
    'x-request-id': headerText,
    traceparent: fc.oneof(headerText, fc.constant('00-00000000000000000000000000000000-0000000000000000-00')),
    // Large, yet with the rest of the request inside the 16 KiB header limit.
    'x-big': fc.constant('b'.repeat(9000)),
    cookie: headerText,
    accept: fc.oneof(fc.constantFrom('*/*', 'text/html', 'application/xml', ';q=x'), headerText),
    'accept-language': headerText,
    'user-agent': headerText,
    'x-api-key': headerText,
  },
  { requiredKeys: [] },
);

/** A path segment: hostile text encoded as a client would, or raw escapes the router must refuse or decode. */
const pathSegment = fc.oneof(
  { arbitrary: hostileText.map(encodedSegment), weight: 4 },
  { arbitrary: fc.uuid().map(String), weight: 1 },
  {
    arbitrary: fc.constantFrom('%zz', '%', '%2e%2e%2f', '..', '%00', '%ED%A0%80', '-0', '1e308', 'NaN', '%2F'),
    weight: 1,
  },
);

/** Query strings the form parser sees rarely: repeated keys, bracket and prototype keys, broken escapes. */
const rawQuery = fc.constantFrom(
  'limit=1&limit=2&offset=1&offset=x',
  'limit[$gt]=1&offset[]=2',
  '__proto__[admin]=1&constructor[prototype][admin]=1&__proto__=x',
  '%zz=%zz',
  '%00=%00',
  '%ED%A0%80=%ED%A0%80',
  'limit=1e308&offset=-0',
  'limit=9223372036854775808&offset=NaN',
  'limit=Infinity&from=NaN&to=9999-99-99',
  '&&&==&',
  `q=${'z'.repeat(7000)}`,
);

function encodedSegment(text: string): string {
  try {
    return encodeURIComponent(text) || '%20';
  } catch {
    // A lone surrogate has no UTF-8 form: send the bytes it would have had.
    return '%ED%A0%80';
  }
}

function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: (operation.parameters ?? []).filter(
        (parameter) => parameter.in === 'path' || parameter.in === 'query',
      ),
      bodySchema: operation.requestBody?.content['application/json']?.schema.$ref?.split('/').at(-1),
    })),
  );
}

/** One request through node:http (repeated header lines, any bytes), refused as a hang past REQUEST_TIMEOUT_MS. */
function send(
  baseUrl: string,
  method: string,
  path: string,
  headers: FuzzHeaders,
  options: { body?: Buffer; withoutHost?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Given as raw lines, the headers get no Host from Node: name the server as any client would, or not.
    const lines: FuzzHeaders = options.withoutHost ? headers : { host: new URL(baseUrl).host, ...headers };
    const rawHeaders = Object.entries(lines).flatMap(([name, value]): string[] =>
      (Array.isArray(value) ? value : [value]).flatMap((line) => [name, line]),
    );
    const outgoing = httpRequest(
      `${baseUrl}${path}`,
      { method, headers: rawHeaders, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
        });
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString(),
          });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms (a hang)`));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** What is wrong with a reply, or undefined: a 5xx, a stack trace, or a 4xx without the uniform body. */
type AppendQueues = ReturnType<AppendStore['stats']>;

/** The append store's queues once everything queued so far has been written (or refused). */
async function drainedQueues(app: TestApp['app']): Promise<AppendQueues> {
  const store = app.get(AppendStore);
  await waitUntil(() => Promise.resolve(store.stats().every(({ stats }) => stats.queued === 0)));
  return store.stats();
}

function problemOf(reply: Reply): string | undefined {
  if (reply.status >= 500) return `status ${reply.status}`;
  if (STACK_TRACE.test(reply.text)) return 'a stack trace';
  if (reply.status < 400) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    return 'an error body that is not JSON';
  }
  const fields = body as Record<string, unknown>;
  const uniform =
    typeof body === 'object' &&
    body !== null &&
    Object.keys(body).sort().join() === UNIFORM_KEYS.join() &&
    fields.statusCode === reply.status &&
    typeof fields.error === 'string' &&
    typeof fields.message === 'string' &&
    typeof fields.code === 'string' &&
    /^[A-Z][A-Z0-9_]*$/.test(fields.code) &&
    typeof fields.traceId === 'string' &&
    fields.traceId === reply.headers['x-request-id'];
  return uniform ? undefined : 'a non-uniform error body';
}

/** The collection a request to `path` creates in (POST to it, PUT of a named member) or removes from (DELETE of a member). */
function collectionOf(method: string, path: string): { collection: Collection; change: 1 | -1 } | undefined {
  const bare = path.split('?')[0];
  for (const collection of COLLECTIONS) {
    if (method === 'POST' && bare === collection) return { collection, change: 1 };
    const member = bare.startsWith(`${collection}/`) && !bare.slice(collection.length + 1).includes('/');
    if (member && method === 'PUT') return { collection, change: 1 };
    if (member && method === 'DELETE') return { collection, change: -1 };
  }
  return undefined;
}

/**
 * Changes a character in the middle of the signature, so the token is well-formed and signed by nobody
 * (not the last one: its low bits are base64 padding, and a lenient decoder reads the same signature).
 */
function forgeSignature(token: string): string {
  const at = token.lastIndexOf('.') + 10;
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
}

describe('fuzz: every operation of the OpenAPI document, as every kind of caller', () => {
  let testApp: TestApp;
  let operations: Operation[];
  let document: OpenApiDocument;
  let apiKey: string;
  const users: Partial<Record<Role, TestUser>> = {};
  /** Bearer tokens by role, logged in again once a successful state change may have ended a session. */
  let tokens: Partial<Record<Role, string>> = {};
  const callers: Record<string, () => Promise<FuzzHeaders>> = {};

  async function tokenOf(role: Role): Promise<string> {
    const user = users[role];
    if (!user) throw new Error(`no ${role} user`);
    tokens[role] ??= await tokenFor(testApp.baseUrl, user);
    return tokens[role];
  }

  async function totals(): Promise<Record<Collection, number>> {
    const token = await tokenOf(Role.Admin);
    const entries = await Promise.all(
      COLLECTIONS.map(async (collection) => {
        const query = collection === '/api/v1/rbac/grants' ? '?includeInactive=true&limit=1' : '?limit=1';
        const result = await request<{ total: number } | unknown[]>(testApp.baseUrl, `${collection}${query}`, {
          token,
        });
        if (result.status !== 200) throw new Error(`${collection}: ${result.status} ${JSON.stringify(result.body)}`);
        return [collection, Array.isArray(result.body) ? result.body.length : result.body.total] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<Collection, number>;
  }

  beforeAll(async () => {
    testApp = await createTestApp({
      // X-Forwarded-For is believed for one hop, so its garbage reaches the code that reads client addresses;
      // every address is allowlisted, so the monitor's own blocks cannot change the blocks list under the check.
      TRUST_PROXY: '1',
      SECURITY_ALLOWLIST_IPS: '0.0.0.0/0,::/0',
      // Fuzzed wrong current passwords count as guesses: the callers must not be locked out mid-run.
      MAX_FAILED_ATTEMPTS: '100',
      MAX_FAILED_ATTEMPTS_PER_ACCOUNT: '100000',
    });
    const { baseUrl } = testApp;
    document = (await request<OpenApiDocument>(baseUrl, '/docs-json')).body;
    operations = operationsOf(document);
    for (const role of [Role.Admin, Role.Operator, Role.Auditor]) users[role] = await createUser(testApp.app, { role });
    const key = await request<{ key: string }>(baseUrl, '/api/v1/api-keys', {
      method: 'POST',
      token: await tokenOf(Role.Admin),
      json: { name: 'fuzz', permissions: ALL_PERMISSIONS },
    });
    if (key.status !== 201) throw new Error(`API key not issued: ${key.status} ${JSON.stringify(key.body)}`);
    apiKey = key.body.key;
    callers.anonymous = () => Promise.resolve({});
    for (const role of [Role.Admin, Role.Operator, Role.Auditor]) {
      callers[role] = async () => ({ authorization: `Bearer ${await tokenOf(role)}` });
    }
    callers.apiKey = () => Promise.resolve({ 'x-api-key': apiKey });
    callers.forgedSignature = async () => ({ authorization: `Bearer ${forgeSignature(await tokenOf(Role.Admin))}` });
    callers.algNone = () =>
      Promise.resolve({ authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwianRpIjoieSJ9.' });
    callers.garbageApiKey = () =>
      Promise.resolve({ 'x-api-key': 'snt_0123456789abcdef_forgedforgedforgedforgedforgedforgedforged' });
    callers.truncatedApiKey = () => Promise.resolve({ 'x-api-key': apiKey.slice(0, -3) });
    callers.duplicatedAuthorization = async () => ({
      authorization: [`Bearer ${await tokenOf(Role.Auditor)}`, `Bearer ${await tokenOf(Role.Admin)}`],
    });
  });
  afterAll(() => testApp.close());

  it('answers a request without Host, and one from a zoned IPv6 address, like any other (what the fuzz found)', async () => {
    const hostless = await send(testApp.baseUrl, 'GET', '/api/v1/agents', {}, { withoutHost: true });
    expect([hostless.status, problemOf(hostless), JSON.parse(hostless.text)]).toEqual([
      400,
      undefined,
      expect.objectContaining({ code: 'MISSING_HOST' }),
    ]);
    const refused = (queues: AppendQueues) => queues.reduce((sum, { stats }) => sum + stats.refused, 0);
    const refusedBefore = refused(testApp.app.get(AppendStore).stats());
    const zoned = await send(testApp.baseUrl, 'GET', '/api/v1/agents', { 'x-forwarded-for': 'fe80::1%eth0' });
    expect(zoned.status).toBe(401);
    expect(refused(await drainedQueues(testApp.app))).toBe(refusedBefore);
  });

  it(
    'finds no 5xx, stack trace, hang or non-uniform error, changes no list but by 2xx, and leaves the server healthy',
    async () => {
      expect(operations.length).toBeGreaterThan(50);
      // The callers are what they claim: real credentials read agents, forged ones are refused.
      const statuses: Record<string, number> = {};
      const plain = ['anonymous', Role.Admin, Role.Operator, Role.Auditor, 'apiKey'];
      for (const caller of [...plain, 'forgedSignature', 'algNone', 'garbageApiKey', 'truncatedApiKey']) {
        statuses[caller] = (await send(testApp.baseUrl, 'GET', '/api/v1/agents', await callers[caller]())).status;
      }
      expect(statuses).toEqual({
        anonymous: 401,
        [Role.Admin]: 200,
        [Role.Operator]: 200,
        [Role.Auditor]: 200,
        apiKey: 200,
        forgedSignature: 401,
        algNone: 401,
        garbageApiKey: 401,
        truncatedApiKey: 401,
      });
      const before = await totals();
      const expectedChange = Object.fromEntries(COLLECTIONS.map((collection) => [collection, 0])) as Record<
        Collection,
        number
      >;
      const succeeded: string[] = [];
      const putMembers = new Set<string>();
      const failures: string[] = [];
      let sent = 0;
      for (const [index, operation] of operations.entries()) {
        const seed = SEED + index;
        const cases = fc.sample(
          fc.record({
            path: fc.array(pathSegment, { minLength: 4, maxLength: 4 }),
            query: fc.dictionary(
              fc.oneof(
                fc.constantFrom(...operation.parameters.map((parameter) => parameter.name), 'limit'),
                hostileText,
              ),
              hostileText,
              { maxKeys: 4 },
            ),
            rawQuery: fc.option(rawQuery, { freq: 4 }),
            body: fc.option(bodyFor(document, operation.bodySchema), { freq: 8 }),
            contentType,
            headers: fc.option(extraHeaders, { freq: 2 }),
            withoutHost: fc.oneof(
              { arbitrary: fc.constant(false), weight: 19 },
              { arbitrary: fc.constant(true), weight: 1 },
            ),
            caller: fc.constantFrom(...Object.keys(callers)),
          }),
          { seed, numRuns: CASES_PER_OPERATION },
        );
        for (const generated of cases) {
          let segment = 0;
          const path = operation.path.replace(/\{[^}]+\}/g, () => generated.path[segment++ % 4]);
          const query = [
            new URLSearchParams(
              Object.entries(generated.query).map(([name, value]) => [name.toWellFormed(), value.toWellFormed()]),
            ).toString(),
            generated.rawQuery,
          ]
            .filter(Boolean)
            .join('&');
          const target = `${path}${query ? `?${query}` : ''}`;
          const headers: FuzzHeaders = { ...generated.headers, ...(await callers[generated.caller]()) };
          const body = operation.method === 'GET' ? undefined : (generated.body ?? undefined);
          if (body && generated.contentType) headers['content-type'] = generated.contentType;
          const replay = `${operation.method} ${target.slice(0, 200)} as ${generated.caller}${generated.withoutHost ? ' without Host' : ''} (FUZZ_SEED=${SEED}, seed ${seed})`;
          let reply: Reply;
          try {
            reply = await send(testApp.baseUrl, operation.method, target, headers, {
              body,
              withoutHost: generated.withoutHost,
            });
          } catch (error) {
            failures.push(`${replay}: ${(error as Error).message}`);
            continue;
          }
          sent++;
          const problem = problemOf(reply);
          if (problem) failures.push(`${replay}: ${problem}: ${reply.status} ${reply.text.slice(0, 300)}`);
          if (reply.status < 300 && operation.method !== 'GET') {
            succeeded.push(`${operation.method} ${operation.path} as ${generated.caller}: ${reply.status}`);
            const touched = collectionOf(operation.method, path);
            // A second successful PUT of one member updates it: only the first adds to the list.
            if (touched && !(operation.method === 'PUT' && putMembers.has(path))) {
              expectedChange[touched.collection] += touched.change;
            }
            if (operation.method === 'PUT') putMembers.add(path);
            // A successful state change may have ended a session (logout, logout-all, a password change).
            tokens = {};
          }
        }
      }
      if (failures.length > 0) console.error(`fuzz failures (FUZZ_SEED=${SEED}):\n${failures.join('\n')}`);
      expect(sent).toBeGreaterThan(CASES_PER_OPERATION * operations.length * 0.95);
      expect(failures).toEqual([]);
      const after = await totals();
      const changed = Object.fromEntries(
        COLLECTIONS.map((collection) => [collection, after[collection] - before[collection]]),
      );
      expect({ changed, succeeded }).toEqual({ changed: expectedChange, succeeded });
      expect((await request(testApp.baseUrl, '/health/ready')).status).toBe(200);
      // What hostile requests leave behind (audit rows, logs, metrics, security events) is made storable before it
      // is queued: a row the database refuses is lost evidence.
      const refused = (await drainedQueues(testApp.app)).filter(({ stats }) => stats.refused > 0 || stats.dropped > 0);
      expect(refused).toEqual([]);
    },
    Math.max(120_000, CASES_PER_OPERATION * 5_000),
  );
});
