import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * True when the Authorization header is `Bearer <token>` with the configured
 * scrape token. Both sides are hashed first, so the comparison takes the same
 * time whatever the presented value's length or content.
 */
export function presentsScrapeToken(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined || authorization === undefined) return false;
  const presented = BEARER.exec(authorization)?.[1];
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(token));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
