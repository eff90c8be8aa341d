import type { MasterKeyring } from '../../secrets/keyring/master-keyring';

/** `sentinel-totp:<master key id>:<base64>`: a TOTP secret sealed under the master keyring. */
const SEALED = /^sentinel-totp:([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/]+={0,2})$/;

/** The associated data: a sealed secret copied to another user's row does not open. */
const purposeOf = (userId: string): string => `totp-secret:${userId}`;

export function isSealedTotpSecret(stored: string): boolean {
  return SEALED.test(stored);
}

export function sealTotpSecret(keyring: MasterKeyring, userId: string, secret: string): string {
  const { masterKeyId, wrapped } = keyring.wrap(Buffer.from(secret, 'utf8'), purposeOf(userId));
  return `sentinel-totp:${masterKeyId}:${wrapped.toString('base64')}`;
}

/** The secret, or undefined when it is not sealed, its master key is missing, or it was altered. */
export function openTotpSecret(keyring: MasterKeyring, userId: string, stored: string): string | undefined {
  const match = SEALED.exec(stored);
  if (!match) return undefined;
  return keyring
    .unwrap({ masterKeyId: match[1], wrapped: Buffer.from(match[2], 'base64') }, purposeOf(userId))
    ?.toString('utf8');
}

/** The master key id a sealed secret is under. */
export function totpSecretKeyId(stored: string): string | undefined {
  return SEALED.exec(stored)?.[1];
}
