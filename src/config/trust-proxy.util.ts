import { isIP } from 'node:net';

/**
 * Which proxies' X-Forwarded-For entries are believed (Fastify's `trustProxy`):
 * none (`false`), the nearest N hops (a number), or the proxies at these
 * addresses/CIDRs (a list). Never "all hops": the left-most entries are the client's to write.
 */
export type TrustProxy = false | number | string[];

/** The names proxy-addr knows for address ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 32;

/**
 * Reads TRUST_PROXY: `false`/`0` (off), `true` (one hop: the one proxy in front of
 * the app), a hop count, or a comma list of proxy addresses, CIDRs or range names.
 * Undefined for anything else.
 */
export function parseTrustProxy(raw: string): TrustProxy | undefined {
  const value = raw.trim().toLowerCase();
  if (['false', 'no', 'off', '0'].includes(value)) return false;
  if (['true', 'yes', 'on'].includes(value)) return 1;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops <= MAX_HOPS ? hops : undefined;
  }
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  return entries.length > 0 && entries.every(isProxyEntry) ? entries : undefined;
}

function isProxyEntry(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const parts = entry.split('/');
  const [address, prefix] = parts;
  const family = isIP(address);
  if (family === 0 || parts.length > 2) return false;
  if (parts.length === 1) return true;
  if (!/^\d+$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * The form Fastify takes. A hop count becomes a function (this Fastify refuses a
 * bare number): the socket peer is hop 0, and the first `hops` addresses from the
 * right are proxies, so the client is the address just left of them.
 */
export function fastifyTrustProxy(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  return (_address, hop) => hop < trust;
}
