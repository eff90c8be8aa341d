/**
 * Stored password hashes are self-describing strings, so parameters can change
 * and old hashes still verify (and get upgraded at the next login):
 *   pbkdf2-sha256$i=<iterations>$<salt b64>$<hash b64>
 *   $argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>   (PHC format, from @node-rs/argon2)
 */
export interface Pbkdf2Hash {
  algorithm: 'pbkdf2';
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

export interface Argon2Hash {
  algorithm: 'argon2id';
  encoded: string;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export type ParsedPasswordHash = Pbkdf2Hash | Argon2Hash;

const PBKDF2 = /^pbkdf2-sha256\$i=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;
const ARGON2ID = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

export function formatPbkdf2(iterations: number, salt: Buffer, hash: Buffer): string {
  return `pbkdf2-sha256$i=${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Shorter derived keys are refused: an empty one would match every password. */
const MIN_PBKDF2_HASH_BYTES = 16;
/** Node's pbkdf2 takes a 32-bit signed iteration count; beyond it, it throws. */
const MAX_PBKDF2_ITERATIONS = 2 ** 31 - 1;

export function parsePasswordHash(stored: string): ParsedPasswordHash | undefined {
  const pbkdf2 = PBKDF2.exec(stored);
  if (pbkdf2) {
    const parsed: Pbkdf2Hash = {
      algorithm: 'pbkdf2',
      iterations: Number(pbkdf2[1]),
      salt: Buffer.from(pbkdf2[2], 'base64'),
      hash: Buffer.from(pbkdf2[3], 'base64'),
    };
    const usable =
      parsed.iterations >= 1 &&
      parsed.iterations <= MAX_PBKDF2_ITERATIONS &&
      parsed.salt.length > 0 &&
      parsed.hash.length >= MIN_PBKDF2_HASH_BYTES;
    return usable ? parsed : undefined;
  }
  const argon2 = ARGON2ID.exec(stored);
  if (argon2) {
    return {
      algorithm: 'argon2id',
      encoded: stored,
      memoryCost: Number(argon2[1]),
      timeCost: Number(argon2[2]),
      parallelism: Number(argon2[3]),
    };
  }
  return undefined;
}
