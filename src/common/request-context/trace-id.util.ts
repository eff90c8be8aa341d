import { randomUUID } from 'node:crypto';

// W3C Trace Context: version-traceid-parentid-flags, trace id 32 lower-case hex, not all zeros.
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;
// A caller's request id is echoed into headers and log lines, so only a plain token is accepted.
const REQUEST_ID = /^[\w.:-]{1,128}$/;

type HeaderValue = string | string[] | undefined;

function single(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The id that ties a request's response, log lines and audit row together:
 * the caller's `x-request-id` if it is a plain token, else the trace id of a
 * valid `traceparent`, else a new one.
 */
export function resolveTraceId(headers: Record<string, HeaderValue>): string {
  const requestId = single(headers['x-request-id'])?.trim();
  if (requestId && REQUEST_ID.test(requestId)) return requestId;
  const traceparent = TRACEPARENT.exec(single(headers.traceparent)?.trim().toLowerCase() ?? '');
  if (traceparent && !/^0+$/.test(traceparent[1])) return traceparent[1];
  return randomUUID().replace(/-/g, '');
}
