import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsString, Length } from 'class-validator';
import { Public } from '../src/common/decorators/public.decorator';
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
    expect(live.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
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

  it('sends the same security headers on every answer: a route, an unknown route, a refusal', async () => {
    const answers = [
      await request(baseUrl, '/health/live'),
      await request(baseUrl, '/api/v1/no-such-route'),
      await request(baseUrl, '/api/v1/agents'),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 404, 401]);
    for (const answer of answers) {
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('content-security-policy')).toBe(
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
          "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline';" +
          'upgrade-insecure-requests',
      );
      expect(answer.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(answer.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    }
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

class CreateWidgetDto {
  @IsString()
  @Length(1, 50)
  name!: string;

  @IsInt()
  count!: number;
}

class ListWidgetsQuery {
  @Type(() => Number)
  @IsInt()
  count!: number;
}

interface WidgetEcho {
  name: string;
  count: number;
  countType: string;
  isDto: boolean;
}

/** Routes that exist only in this test, to reach the error and validation paths no real route should. */
@Public()
@Controller('test-only')
class TestOnlyController {
  @Get('bug')
  bug(): never {
    throw new Error('database password is hunter2 at /srv/sentinel/src/bug.ts:1');
  }

  @Post('widgets')
  create(@Body() dto: CreateWidgetDto): WidgetEcho {
    return { name: dto.name, count: dto.count, countType: typeof dto.count, isDto: dto instanceof CreateWidgetDto };
  }

  @Get('widgets')
  list(@Query() query: ListWidgetsQuery): { count: number; countType: string } {
    return { count: query.count, countType: typeof query.count };
  }
}

describe('foundation: errors and validation', () => {
  let testApp: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    testApp = await createTestApp({}, { controllers: [TestOnlyController] });
    baseUrl = testApp.baseUrl;
  });
  afterAll(() => testApp.close());

  it('answers an unexpected error with a uniform 500 that reveals nothing', async () => {
    const result = await request<{ message: string }>(baseUrl, '/api/v1/test-only/bug');
    expectErrorBody(result, 500);
    expect(result.body.message).toBe('Internal server error');
    const text = JSON.stringify(result.body);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('bug.ts');
    expect(text).not.toMatch(/\bat \S+ \(|stack/i);
  });

  it('refuses an invalid body with a 400 naming the fields', async () => {
    const result = await request<{ message: string }>(baseUrl, '/api/v1/test-only/widgets', {
      method: 'POST',
      json: { name: '', count: 1.5 },
    });
    expectErrorBody(result, 400);
    expect(result.body.message).toMatch(/\bname\b/);
    expect(result.body.message).toMatch(/\bcount\b/);
  });

  it('refuses a missing field with a 400 naming it', async () => {
    const result = await request<{ message: string }>(baseUrl, '/api/v1/test-only/widgets', {
      method: 'POST',
      json: { name: 'gear' },
    });
    expectErrorBody(result, 400);
    expect(result.body.message).toMatch(/\bcount\b/);
    expect(result.body.message).not.toMatch(/\bname\b/);
  });

  it('refuses a field the DTO does not declare', async () => {
    const result = await request<{ message: string }>(baseUrl, '/api/v1/test-only/widgets', {
      method: 'POST',
      json: { name: 'gear', count: 2, isAdmin: true },
    });
    expectErrorBody(result, 400);
    expect(result.body.message).toContain('isAdmin');
  });

  it('hands a valid body to the handler as the DTO, typed', async () => {
    const result = await request<WidgetEcho>(baseUrl, '/api/v1/test-only/widgets', {
      method: 'POST',
      json: { name: 'gear', count: 2 },
    });
    expect(result.status).toBe(201);
    expect(result.body).toEqual({ name: 'gear', count: 2, countType: 'number', isDto: true });
  });

  it('converts a query string to the declared number type', async () => {
    const result = await request<{ count: number; countType: string }>(baseUrl, '/api/v1/test-only/widgets?count=7');
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ count: 7, countType: 'number' });
    expectErrorBody(await request(baseUrl, '/api/v1/test-only/widgets?count=seven'), 400);
  });
});
