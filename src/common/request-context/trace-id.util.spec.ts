import { resolveTraceId } from './trace-id.util';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const GENERATED = /^[\da-f]{32}$/;

describe('resolveTraceId', () => {
  it.each(['abc', 'req-42', 'a.b:c_d-e', 'x'.repeat(128)])('keeps the caller request id %s', (id) => {
    expect(resolveTraceId({ 'x-request-id': id })).toBe(id);
  });

  it('trims the caller request id', () => {
    expect(resolveTraceId({ 'x-request-id': '  abc  ' })).toBe('abc');
  });

  it('takes the first of repeated x-request-id headers', () => {
    expect(resolveTraceId({ 'x-request-id': ['first', 'second'] })).toBe('first');
  });

  it.each([
    ['with a space', 'a b'],
    ['with markup', 'a<script>'],
    ['longer than 128 characters', 'x'.repeat(129)],
    ['with a newline', 'a\nb'],
    ['with a carriage return', 'a\r\nSet-Cookie: x=1'],
  ])('ignores a request id %s', (_label, id) => {
    const traceId = resolveTraceId({ 'x-request-id': id });
    expect(traceId).not.toBe(id);
    expect(traceId).toMatch(GENERATED);
  });

  it('extracts the trace id of a W3C traceparent', () => {
    expect(resolveTraceId({ traceparent: TRACEPARENT })).toBe(TRACE_ID);
  });

  it('lower-cases an upper-case traceparent trace id', () => {
    expect(resolveTraceId({ traceparent: TRACEPARENT.toUpperCase() })).toBe(TRACE_ID);
  });

  it('rejects the all-zero trace id', () => {
    const traceId = resolveTraceId({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` });
    expect(traceId).not.toBe('0'.repeat(32));
    expect(traceId).toMatch(GENERATED);
  });

  it.each([
    ['a short trace id', `00-${TRACE_ID.slice(1)}-00f067aa0ba902b7-01`],
    ['a non-hex trace id', `00-${TRACE_ID.slice(1)}g-00f067aa0ba902b7-01`],
    ['a missing parent id', `00-${TRACE_ID}-01`],
    ['trailing fields', `${TRACEPARENT}-ff`],
    ['no dashes', TRACEPARENT.replace(/-/g, '')],
  ])('rejects a traceparent with %s', (_label, traceparent) => {
    const traceId = resolveTraceId({ traceparent });
    expect(traceId).not.toContain(TRACE_ID.slice(1, 20));
    expect(traceId).toMatch(GENERATED);
  });

  it('prefers a valid x-request-id over traceparent', () => {
    expect(resolveTraceId({ 'x-request-id': 'mine', traceparent: TRACEPARENT })).toBe('mine');
  });

  it('falls back to traceparent when x-request-id is invalid', () => {
    expect(resolveTraceId({ 'x-request-id': 'not valid', traceparent: TRACEPARENT })).toBe(TRACE_ID);
  });

  it('generates a fresh 32-hex id for each request without headers', () => {
    const first = resolveTraceId({});
    const second = resolveTraceId({});
    expect(first).toMatch(GENERATED);
    expect(second).toMatch(GENERATED);
    expect(first).not.toBe(second);
  });
});
