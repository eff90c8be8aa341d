import { isIP } from 'node:net';

declare global {
  interface String {
    /** ES2024, in Node.js since 20: lone surrogates replaced by U+FFFD. */
    toWellFormed(): string;
  }
}

const INT4_MAX = 2_147_483_647;
const INT4_MIN = -2_147_483_648;
const DEFAULT_TEXT_MAX = 2048;
const JSON_MAX_DEPTH = 8;
const REPLACEMENT = '\uFFFD';

/**
 * What PostgreSQL refuses in a text or jsonb value, whoever sent it: U+0000
 * (text and jsonb cannot hold it) and unpaired UTF-16 surrogates (not valid
 * UTF-8). Each is replaced, so one hostile request's value is stored, not
 * refused, and never fails a batch it shares with others.
 */
export function storableText(value: string, maxLength = DEFAULT_TEXT_MAX): string {
  const capped = value.length > maxLength ? value.slice(0, maxLength) : value;
  // A cut may split a surrogate pair; toWellFormed mends that too.
  return capped.toWellFormed().replaceAll('\u0000', REPLACEMENT);
}

export function storableOptionalText(value: string | null | undefined, maxLength?: number): string | null {
  return value === null || value === undefined ? null : storableText(value, maxLength);
}

/**
 * Whether an inet column accepts the address: an ip, without the zone id (`fe80::1%eth0`) that
 * Node's isIP accepts and PostgreSQL refuses (a zone names an interface of the sender's host).
 */
export function isStorableIp(value: string): boolean {
  return isIP(value) !== 0 && !value.includes('%');
}

/** An address an inet column accepts, or null: a header that is not an ip is not an ip. */
export function storableIp(value: string | null | undefined): string | null {
  if (!value) return null;
  return isStorableIp(value) ? value : null;
}

/** An integer an int4 column accepts (rounded and clamped), or null for what is not a finite number. */
export function storableInt(value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return Math.min(INT4_MAX, Math.max(INT4_MIN, Math.round(value)));
}

/**
 * A copy of a JSON value that jsonb stores as it is: keys and strings made
 * storable, numbers finite, depth bounded, and nothing that JSON.stringify
 * would turn into something else (functions, symbols, bigint) left in.
 */
export function storableJson(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return storableText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== 'object') return null;
  if (depth >= JSON_MAX_DEPTH) return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  if (Array.isArray(value)) return value.map((item) => storableJson(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, field]) => [
      storableText(key, 200),
      storableJson(field, depth + 1),
    ]),
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A value a uuid column accepts, or null. */
export function storableUuid(value: string | null | undefined): string | null {
  return value && UUID.test(value) ? value : null;
}
