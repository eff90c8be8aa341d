import type { FastifyInstance } from 'fastify';

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\b/;

/**
 * `Cache-Control: no-store` on every JSON response (tokens, keys, temporary
 * passwords, recovery codes and every read of protected data are JSON) and on
 * every response to an authenticated caller (exports, metrics): no browser or
 * intermediary keeps a copy of what carried a credential or was behind one.
 */
export function registerNoStoreHook(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const contentType = reply.getHeader('content-type');
    const isJson = typeof contentType === 'string' && JSON_TYPE.test(contentType);
    if (isJson || request.requestContext?.actor !== undefined) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
