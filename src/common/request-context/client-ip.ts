import type { FastifyRequest } from 'fastify';
import { isStorableIp } from '../../database/storable-value.util';

/**
 * The request's client ip, the one value audit, rate limits, sessions and the
 * security monitor all use: what the request context holds, computed once as
 * the request arrives.
 */
export function clientIp(request: FastifyRequest): string {
  return request.requestContext?.ip ?? resolveClientIp(request);
}

/**
 * Fastify applies TRUST_PROXY (X-Forwarded-For counts only from trusted hops);
 * an entry that is not an address (a port, a name, a zoned IPv6 address, garbage)
 * is ignored and the socket's peer address is used instead.
 */
export function resolveClientIp(request: FastifyRequest): string {
  const forwarded = request.ip;
  if (typeof forwarded === 'string' && isStorableIp(forwarded)) return forwarded;
  return request.socket.remoteAddress ?? '';
}
