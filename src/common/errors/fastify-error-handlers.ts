import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER } from '../request-context/request-context.hooks';
import { resolveTraceId } from '../request-context/trace-id.util';
import { errorBody } from './all-exceptions.filter';
import { describeError } from './describe-error';

/** Routing errors Fastify raises before any hook (a malformed URL, an over-long path parameter). */
const ROUTING_MESSAGES: Record<string, [number, string, string]> = {
  FST_ERR_BAD_URL: [400, 'BAD_URL', 'The URL is not valid'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'PATH_PARAMETER_TOO_LONG', 'A path parameter is too long'],
};

/**
 * Fastify's `frameworkErrors`: errors its router raises before the app sees
 * the request still leave with the uniform body and a trace id, never
 * Fastify's own shape (and never the raw URL echoed back).
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // Counted against the client's rate limit like any request (the limit may answer 429 instead).
  const limit = request.server.preRoutingLimit;
  if (!limit) {
    answerRoutingError(error, request, reply);
    return;
  }
  limit(request, reply).then(
    (refused) => {
      if (!refused) answerRoutingError(error, request, reply);
    },
    () => {
      answerRoutingError(error, request, reply);
    },
  );
}

function answerRoutingError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const traceId = resolveTraceId(request.headers);
  const [status, code, message] = ROUTING_MESSAGES[error.code] ?? [
    describeError(error).status,
    describeError(error).code,
    describeError(error).message,
  ];
  request.errorDescription = { status, code, message };
  void reply
    .code(status)
    .header(REQUEST_ID_HEADER, traceId)
    .send(errorBody(status, code, message, traceId));
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses (headers
 * too large, an unknown method, a malformed request line) is answered on the
 * raw socket, where the connection still allows it, with the uniform body.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'The request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive']
        : [400, 'MALFORMED_REQUEST', 'The request is not valid HTTP'];
  const traceId = resolveTraceId({});
  const body = JSON.stringify(errorBody(status, code, message, traceId));
  socket.end(
    `HTTP/1.1 ${status} ${errorBody(status, code, message, traceId).error}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${REQUEST_ID_HEADER}: ${traceId}\r\nConnection: close\r\n\r\n${body}`,
  );
}
