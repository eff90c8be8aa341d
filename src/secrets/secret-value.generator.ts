import { randomBytes, randomInt } from 'node:crypto';
import type { SecretType } from './entities/secret.entity';

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+-.:=?@^_~';
const PASSWORD_LENGTH = 32;

/**
 * New values for the types Sentinel can make itself. An api_key or a generic
 * secret comes from elsewhere (an outside provider), so it cannot be rotated
 * here: its rotation is announced as overdue instead.
 */
const GENERATORS: Partial<Record<SecretType, () => string>> = {
  password: () =>
    Array.from({ length: PASSWORD_LENGTH }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join(''),
  token: () => randomBytes(32).toString('base64url'),
  signing_key: () => randomBytes(64).toString('base64'),
};

export function isGeneratable(type: SecretType): boolean {
  return GENERATORS[type] !== undefined;
}

/** A fresh value, or undefined for a type that cannot be generated. */
export function generateSecretValue(type: SecretType): string | undefined {
  return GENERATORS[type]?.();
}
