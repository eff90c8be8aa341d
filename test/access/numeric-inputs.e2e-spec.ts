import { randomUUID } from 'node:crypto';
import { Role } from '../../src/rbac/role';
import { expectErrorBody, request } from '../support/http';
import { createTestApp, type TestApp } from '../support/test-app';
import { createUser, tokenFor } from '../support/users';

interface QueryParameter {
  name: string;
  in: 'query' | 'path' | 'header';
  schema?: { type?: string; minimum?: number; maximum?: number; default?: unknown };
}

interface OpenApiDocument {
  paths: Record<string, Partial<Record<string, { parameters?: QueryParameter[] }>>>;
}

interface NumericInput {
  route: string;
  name: string;
  minimum?: number;
  maximum?: number;
}

/** Every GET operation's numeric query parameters, as the OpenAPI document declares them. */
function numericQueryInputs(document: OpenApiDocument): NumericInput[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    (methods.get?.parameters ?? [])
      .filter((parameter) => parameter.in === 'query' && isNumeric(parameter.schema ?? {}))
      .map((parameter) => ({
        route: path.replace(/\{[^}]+\}/g, randomUUID()),
        name: parameter.name,
        minimum: parameter.schema?.minimum,
        maximum: parameter.schema?.maximum,
      })),
  );
}

/** Typed as a number, or (a property whose type Swagger could not infer) bounded or defaulted by one. */
function isNumeric(schema: NonNullable<QueryParameter['schema']>): boolean {
  if (schema.type === 'integer' || schema.type === 'number') return true;
  return [schema.minimum, schema.maximum, schema.default].some((bound) => typeof bound === 'number');
}

/** Every numeric query input out of range is a 400, never a 200 with a clamped value nor a 500 (issue 11, point 8). */
describe('access: numeric query inputs', () => {
  let testApp: TestApp;
  let token: string;
  let inputs: NumericInput[];

  beforeAll(async () => {
    testApp = await createTestApp();
    token = await tokenFor(testApp.baseUrl, await createUser(testApp.app, { role: Role.Admin }));
    inputs = numericQueryInputs((await request<OpenApiDocument>(testApp.baseUrl, '/docs-json')).body);
  });
  afterAll(() => testApp.close());

  it('declares a minimum and a maximum for every one of them', () => {
    expect(inputs.length).toBeGreaterThan(10);
    expect(
      inputs.filter((input) => input.minimum === undefined || input.maximum === undefined).map(describeInput),
    ).toEqual([]);
  });

  it('answers 400 just outside either bound and far beyond, on every route', async () => {
    const accepted: string[] = [];
    for (const input of inputs) {
      const values = [
        ...(input.minimum === undefined ? [] : [input.minimum - 1]),
        ...(input.maximum === undefined ? [] : [input.maximum + 1]),
        '99999999999999999999999',
        '-99999999999999999999999',
        '1e400',
      ];
      for (const value of values) {
        const result = await request(testApp.baseUrl, `${input.route}?${input.name}=${String(value)}`, { token });
        if (result.status !== 400) accepted.push(`${describeInput(input)}=${String(value)}: ${result.status}`);
        else expectErrorBody(result, 400);
      }
    }
    expect(accepted).toEqual([]);
  });

  it.each([
    '/api/v1/audit-logs?cursor=99999999999999999999',
    '/api/v1/audit-logs?cursor=-1',
    '/api/v1/audit-logs/verify?from=9223372036854775808',
    '/api/v1/audit-logs/verify?to=1e3',
  ])('answers 400 to a record id beyond bigint or not a whole number: %s', async (path) => {
    expectErrorBody(await request(testApp.baseUrl, path, { token }), 400);
  });
});

function describeInput(input: NumericInput): string {
  return `${input.route.replace(/[0-9a-f-]{36}/g, ':id')} ${input.name}`;
}
