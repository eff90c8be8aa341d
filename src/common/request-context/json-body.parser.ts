import type { FastifyInstance } from 'fastify';

/** Deeper than this, a JSON body is refused: no route takes anything near it, and deep input breaks validators. */
export const MAX_JSON_DEPTH = 64;

declare global {
  interface String {
    /** ES2024, in Node.js since 20: false when the text has a lone surrogate. */
    isWellFormed(): boolean;
  }
}

/** A refused body or query, handed to the app's error filter as a 400 with its own code. */
class InputRefusedError extends Error {
  readonly statusCode = 400;

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TOO_DEEP = new InputRefusedError(
  'FST_ERR_CTP_JSON_TOO_DEEP',
  `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`,
);
const UNSTORABLE = new InputRefusedError(
  'FST_ERR_INVALID_CHARACTERS',
  'The request holds text that cannot be stored: a NUL character or an unpaired surrogate',
);

/**
 * The API takes JSON bodies and nothing else: any other content type is
 * answered 415 by Fastify (so a password sent as text/plain never reaches a
 * handler, a log line or an audit row). JSON nested deeper than
 * MAX_JSON_DEPTH, and text PostgreSQL cannot store (U+0000, lone surrogates)
 * in a body, query or path, are a 400 before any handler runs, so no such
 * value ever reaches a column. Fastify's own parser still refuses
 * `__proto__` and `constructor.prototype` keys.
 */
export function acceptOnlyStorableJson(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    void parseJson(request, body as string, (error: Error | null, value?: unknown) => {
      if (error) done(error, undefined);
      else done(inspect(value, MAX_JSON_DEPTH) ?? null, value);
    });
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    done(inspect(request.params, 2) ?? inspect(request.query, 3));
  });
}

/**
 * Walks the value without recursion (measuring a hostile depth cannot
 * overflow the stack either): the reason to refuse it, if there is one.
 */
export function inspect(value: unknown, maxDepth: number): InputRefusedError | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current === 'string') {
      if (!storable(current)) return UNSTORABLE;
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return TOO_DEEP;
    for (const [key, child] of Object.entries(current)) {
      if (!storable(key)) return UNSTORABLE;
      stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

function storable(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}
