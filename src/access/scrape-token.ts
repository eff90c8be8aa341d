import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * True when a presented bearer token is the configured metrics scrape token.
 * Both sides are hashed first, so the comparison takes the same time whatever
 * the presented value's length or content.
 */
export function isScrapeToken(presented: string, token: string | undefined): boolean {
  if (token === undefined) return false;
  return timingSafeEqual(digest(presented), digest(token));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
