import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** 16 base32 characters (80 random bits) shown as xxxx-xxxx-xxxx-xxxx. */
export function generateRecoveryCode(): string {
  const bytes = randomBytes(16);
  const characters = Array.from(bytes, (byte) => ALPHABET[byte % 32]).join('');
  return characters.match(/.{4}/g)?.join('-') ?? characters;
}

/** Codes have 80 bits of entropy, so a plain SHA-256 of the normalised code is safe to store. */
export function hashRecoveryCode(code: string): string {
  const normalised = code.toLowerCase().replace(/[^a-z2-7]/g, '');
  return createHash('sha256').update(normalised).digest('hex');
}
