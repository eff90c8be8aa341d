import type { FastifyInstance } from 'fastify';

/** Deeper than this, a JSON body is refused: no route takes anything near it, and deep input breaks validators. */
export const MAX_JSON_DEPTH = 64;

/** A parse error Fastify hands to the app's error filter as a 400. */
class JsonTooDeepError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_CTP_JSON_TOO_DEEP';

  constructor() {
    super(`The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/**
 * The API takes JSON bodies and nothing else: any other content type is
 * answered 415 by Fastify (so a password sent as text/plain never reaches a
 * handler, a log line or an audit row), and JSON nested deeper than
 * MAX_JSON_DEPTH is a 400. Fastify's own parser still refuses `__proto__`
 * and `constructor.prototype` keys.
 */
export function acceptOnlyJsonBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    void parseJson(request, body as string, (error: Error | null, value?: unknown) => {
      if (error) done(error, undefined);
      else if (nestedDeeperThan(value, MAX_JSON_DEPTH)) done(new JsonTooDeepError(), undefined);
      else done(null, value);
    });
  });
}

/** Walks the value without recursion, so measuring a hostile depth cannot overflow the stack either. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}
