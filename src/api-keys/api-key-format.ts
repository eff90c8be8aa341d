import { randomBytes } from 'node:crypto';

/**
 * Keys read `snt_<public id>_<secret>`: a prefix that leak scanners can
 * match, 16 hex characters to find the record, and 32 random bytes
 * (base64url) that are never stored.
 */
export const API_KEY_PREFIX = 'snt_';
const KEY_SHAPE = /^snt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const PUBLIC_ID_SHAPE = /^snt_([0-9a-f]{16})_/;

export interface ParsedApiKey {
  publicId: string;
  secret: string;
}

export function generateApiKey(): ParsedApiKey & { key: string } {
  const publicId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { publicId, secret, key: `${API_KEY_PREFIX}${publicId}_${secret}` };
}

export function newSecretFor(publicId: string): { secret: string; key: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, key: `${API_KEY_PREFIX}${publicId}_${secret}` };
}

export function parseApiKey(candidate: string): ParsedApiKey | undefined {
  const match = KEY_SHAPE.exec(candidate);
  return match ? { publicId: match[1], secret: match[2] } : undefined;
}

/** The public id of a malformed key when one can still be read, for the refusal event. */
export function readablePublicId(candidate: string): string | undefined {
  return PUBLIC_ID_SHAPE.exec(candidate)?.[1];
}
