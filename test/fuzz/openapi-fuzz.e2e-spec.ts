import fc from 'fast-check';
import { Role } from '../../src/rbac/role';
import { request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';

/** Seeded, so a failure names a case that replays; FUZZ_SEED and FUZZ_CASES widen the search. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const CASES_PER_OPERATION = Number(process.env.FUZZ_CASES ?? 4);
const UNIFORM_KEYS = ['code', 'error', 'message', 'statusCode', 'traceId'];

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

const hostileText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    '{"$gt":""}',
    '../../../etc/passwd',
    '%00',
    '__proto__',
    'constructor',
    'x'.repeat(5000),
    '9'.repeat(40),
    '-1',
    '1e400',
    'NaN',
    '',
    ' ',
    'true',
    'null',
  ),
);

const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileText,
    fc.integer(),
    fc.double(),
    fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 2 ** 31, -(2 ** 31) - 1),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(hostileText, fc.constantFrom('__proto__', 'constructor', 'prototype')), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

/** A body shaped like the route's DTO (so validation runs field by field), with hostile values and extra keys. */
function bodyFor(document: OpenApiDocument, schemaName: string | undefined): fc.Arbitrary<unknown> {
  const properties = Object.keys((schemaName && document.components.schemas[schemaName]?.properties) ?? {});
  const shaped = fc.record(Object.fromEntries(properties.map((name) => [name, hostileValue])), { requiredKeys: [] });
  return fc.oneof(
    shaped,
    hostileValue,
    fc.tuple(shaped, fc.dictionary(hostileText, hostileValue)).map(([a, b]) => ({ ...b, ...a })),
  );
}

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

describe('fuzz: every operation of the OpenAPI document, as every kind of caller', () => {
  let testApp: TestApp;
  let operations: Operation[];
  let document: OpenApiDocument;
  const callers: Record<string, () => Promise<Record<string, string>>> = {};

  beforeAll(async () => {
    testApp = await createTestApp();
    const { baseUrl } = testApp;
    document = (await request<OpenApiDocument>(baseUrl, '/docs-json')).body;
    operations = operationsOf(document);
    const admin = await createUser(testApp.app, { role: Role.Admin });
    const operator = await createUser(testApp.app, { role: Role.Operator });
    const adminToken = await tokenFor(baseUrl, admin);
    const key = await request<{ key: string }>(baseUrl, '/api/v1/api-keys', {
      method: 'POST',
      token: adminToken,
      json: { name: 'fuzz', permissions: ['agents:read'] },
    });
    // Fresh tokens per operation: a fuzzed logout must not blind the rest of the run.
    callers.anonymous = () => Promise.resolve({});
    callers.admin = async () => ({ authorization: `Bearer ${await tokenFor(baseUrl, admin)}` });
    callers.operator = async () => ({ authorization: `Bearer ${await tokenFor(baseUrl, operator)}` });
    callers.apiKey = () => Promise.resolve({ 'x-api-key': key.body.key });
    callers.forged = () =>
      Promise.resolve({
        authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwianRpIjoieSJ9.',
        'x-api-key': 'snt_0123456789abcdef_forgedforgedforgedforgedforgedforgedforged',
      });
  });
  afterAll(() => testApp.close());

  it('finds no 5xx, no stack trace and no body other than the uniform one, and leaves the server healthy', async () => {
    expect(operations.length).toBeGreaterThan(50);
    const failures: string[] = [];
    let sent = 0;
    for (const [index, operation] of operations.entries()) {
      const cases = fc.sample(
        fc.record({
          path: fc.array(hostileText, { minLength: 4, maxLength: 4 }),
          query: fc.dictionary(
            fc.oneof(fc.constantFrom(...operation.parameters.map((parameter) => parameter.name), 'limit'), hostileText),
            hostileText,
            { maxKeys: 4 },
          ),
          body: bodyFor(document, operation.bodySchema),
          caller: fc.constantFrom(...Object.keys(callers)),
        }),
        { seed: SEED + index, numRuns: CASES_PER_OPERATION },
      );
      for (const generated of cases) {
        let segment = 0;
        const path = operation.path.replace(/\{[^}]+\}/g, () => encodedSegment(generated.path[segment++ % 4]));
        const query = new URLSearchParams(
          Object.entries(generated.query).map(([name, value]) => [name.toWellFormed(), value.toWellFormed()]),
        ).toString();
        const headers = await callers[generated.caller]();
        const result = await request(testApp.baseUrl, `${path}${query ? `?${query}` : ''}`, {
          method: operation.method,
          headers:
            operation.method === 'GET' || operation.method === 'DELETE'
              ? headers
              : { ...headers, 'content-type': 'application/json' },
          rawBody: operation.method === 'GET' ? undefined : JSON.stringify(generated.body ?? null),
        });
        sent++;
        const text = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
        const problem =
          result.status >= 500
            ? `status ${result.status}`
            : /\bat \S+ \(|\.ts:\d+/.test(text)
              ? 'a stack trace'
              : result.status >= 400 &&
                  Object.keys(result.body as object)
                    .sort()
                    .join() !== UNIFORM_KEYS.join()
                ? 'a non-uniform error body'
                : undefined;
        if (problem) {
          failures.push(
            `${operation.method} ${path}?${query} as ${generated.caller} (seed ${SEED + index}): ${problem}: ${text.slice(0, 300)}`,
          );
        }
      }
    }
    expect(sent).toBeGreaterThan(200);
    expect(failures).toEqual([]);
    expect((await request(testApp.baseUrl, '/health/ready')).status).toBe(200);
  });
});
