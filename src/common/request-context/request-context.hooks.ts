import type { FastifyInstance, FastifyRequest } from 'fastify';
import { enterRequestContext, type RequestContext, runInRequestContext } from './request-context';
import { resolveClientIp } from './client-ip';
import { resolveTraceId } from './trace-id.util';

declare module 'fastify' {
  interface FastifyRequest {
    /** Absent only if a request failed before its first hook ran. */
    requestContext?: RequestContext;
  }
}

export const REQUEST_ID_HEADER = 'x-request-id';

function createContext(request: FastifyRequest): RequestContext {
  return {
    traceId: resolveTraceId(request.headers),
    ip: resolveClientIp(request),
    userAgent: request.headers['user-agent'],
    method: request.method,
    url: request.url,
    startedAt: process.hrtime.bigint(),
  };
}

/**
 * Opens a request context as the request arrives, so every later step (guards,
 * handlers, logging, the error filter) can read the trace id, client ip and
 * actor, and every response carries `x-request-id`.
 */
export function registerRequestContextHooks(fastify: FastifyInstance): void {
  fastify.decorateRequest('requestContext', undefined);
  fastify.addHook('onRequest', (request, reply, done) => {
    const context = createContext(request);
    request.requestContext = context;
    void reply.header(REQUEST_ID_HEADER, context.traceId);
    runInRequestContext(context, done);
  });
  // Body parsing resumes in the socket's async context; restore ours before the handler runs.
  fastify.addHook('preHandler', (request, _reply, done) => {
    if (request.requestContext) enterRequestContext(request.requestContext);
    done();
  });
}
