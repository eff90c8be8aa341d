import { redactSensitiveFields } from '../common/redaction/redact.util';

const MAX_STRING = 200;
const MAX_ARRAY_ITEMS = 20;
const MAX_KEYS = 30;
const MAX_DEPTH = 3;

/**
 * What an audit row keeps of a request's input: credentials replaced, long
 * strings cut, big arrays and objects shortened. A request body is never
 * stored whole.
 */
export function summarizeInput(value: unknown): unknown {
  return shorten(redactSensitiveFields(value), 0);
}

function shorten(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…(${value.length} chars)` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_ARRAY_ITEMS).map((item) => shorten(item, depth + 1));
    return value.length > MAX_ARRAY_ITEMS ? [...kept, `…(${value.length - MAX_ARRAY_ITEMS} more)`] : kept;
  }
  const entries = Object.entries(value);
  const kept = entries.slice(0, MAX_KEYS).map(([key, field]) => [key, shorten(field, depth + 1)]);
  if (entries.length > MAX_KEYS) kept.push(['…', `${entries.length - MAX_KEYS} more keys`]);
  return Object.fromEntries(kept);
}
