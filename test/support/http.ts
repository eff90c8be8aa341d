export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  rawBody?: string;
  token?: string;
}

/** One real HTTP request against the app under test; the body is parsed as JSON where it is JSON. */
export async function request<T = unknown>(
  baseUrl: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${baseUrl}${path}`, { method: options.method ?? 'GET', headers, body });
  const text = await response.text();
  // application/json and +json types, not application/x-ndjson (a stream of JSON lines).
  const isJson = /^application\/(?:[\w.-]+\+)?json\b/.test(response.headers.get('content-type') ?? '');
  return {
    status: response.status,
    headers: response.headers,
    body: (isJson && text ? (JSON.parse(text) as unknown) : text) as T,
  };
}

/** The uniform error body every failure must have; with `code`, that exact code. */
export function expectErrorBody(result: HttpResult, status: number, code?: string): void {
  expect(result.status).toBe(status);
  expect(result.body).toEqual({
    statusCode: status,
    error: expect.any(String),
    code: code ?? expect.stringMatching(/^[A-Z][A-Z0-9_]*$/),
    message: expect.any(String),
    traceId: result.headers.get('x-request-id'),
  });
}
