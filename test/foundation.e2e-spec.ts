import { createTestApp, type TestApp } from './support/test-app';
import { expectErrorBody, request } from './support/http';

describe('foundation: HTTP surface', () => {
  let testApp: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    testApp = await createTestApp({ BODY_LIMIT_BYTES: '2048' });
    baseUrl = testApp.baseUrl;
  });
  afterAll(() => testApp.close());

  it('answers liveness and readiness outside the API prefix', async () => {
    const live = await request(baseUrl, '/health/live');
    expect(live.status).toBe(200);
    const ready = await request<{ status: string; info: Record<string, { status: string }> }>(baseUrl, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.database.status).toBe('up');
  });

  it('gives unknown routes the uniform 404 body with the trace id', async () => {
    const result = await request(baseUrl, '/api/v1/does-not-exist');
    expectErrorBody(result, 404);
  });

  it('echoes a caller-supplied x-request-id and uses it as the trace id', async () => {
    const result = await request<{ traceId: string }>(baseUrl, '/nowhere', { headers: { 'x-request-id': 'abc' } });
    expect(result.headers.get('x-request-id')).toBe('abc');
    expect(result.body.traceId).toBe('abc');
  });

  it('takes the trace id from a W3C traceparent header', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const result = await request(baseUrl, '/health/live', { headers: { traceparent } });
    expect(result.headers.get('x-request-id')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('ignores a request id that is not a plain token, and issues its own', async () => {
    const result = await request(baseUrl, '/health/live', { headers: { 'x-request-id': 'a b<script>' } });
    expect(result.headers.get('x-request-id')).toMatch(/^[\da-f]{32}$/);
  });

  it('refuses malformed JSON with a 400 in the uniform body', async () => {
    const result = await request(baseUrl, '/api/v1/anything', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      rawBody: '{"unterminated',
    });
    expectErrorBody(result, 400);
  });

  it('refuses a body over BODY_LIMIT_BYTES with a 413 in the uniform body', async () => {
    const result = await request(baseUrl, '/api/v1/anything', { method: 'POST', json: { blob: 'x'.repeat(4096) } });
    expectErrorBody(result, 413);
  });

  it('sends security headers', async () => {
    const result = await request(baseUrl, '/health/live');
    expect(result.headers.get('x-content-type-options')).toBe('nosniff');
    expect(result.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('serves Swagger UI at /docs and the OpenAPI document at /docs-json', async () => {
    const ui = await request<string>(baseUrl, '/docs');
    expect(ui.status).toBe(200);
    expect(ui.body).toContain('swagger-ui');
    const json = await request<{
      openapi: string;
      paths: Record<string, unknown>;
      components: { securitySchemes: object };
    }>(baseUrl, '/docs-json');
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    expect(Object.keys(json.body.components.securitySchemes)).toEqual(expect.arrayContaining(['bearer', 'api-key']));
  });
});
