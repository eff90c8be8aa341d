import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's headers on every answer, errors and unknown routes included.
 * They are worked out once, here: @fastify/helmet built helmet's middleware
 * again on every request (parsing the CSP directives each time), and even
 * built once, it made a dozen `setHeader` calls per answer, each validating
 * its name and value (helmet's frames and that validation were about 2 % of
 * /health/live's profile, before setHeader's own). Fastify writes the
 * precomputed set with the status line instead.
 */
export function registerSecurityHeaders(fastify: FastifyInstance, options: Readonly<HelmetOptions>): void {
  const headers = helmetHeaders(options);
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}

/** What helmet sets for these options: the same on every answer, as no directive is computed per request. */
export function helmetHeaders(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const directives = typeof options.contentSecurityPolicy === 'object' ? options.contentSecurityPolicy.directives : {};
  const perRequest = Object.values(directives ?? {}).some((value) =>
    [value].flat().some((part) => typeof part === 'function'),
  );
  if (perRequest) throw new Error('security headers: a CSP directive computed per request cannot be precomputed');
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: string | number) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  let failure: Error | undefined;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) failure = error instanceof Error ? error : new Error('helmet refused its options');
  });
  if (failure) throw failure;
  return Object.fromEntries(headers);
}
