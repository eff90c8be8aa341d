import { Secret, TOTP } from 'otpauth';
import { toDataURL } from 'qrcode';

const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** One step either side absorbs clock drift between the phone and the server. */
const WINDOW = 1;
const ISSUER = 'Sentinel';
const CODE = /^\d{6}$/;

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s), as authenticator apps expect. */
export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secretBase32: string, username: string): string {
  return new TOTP({
    issuer: ISSUER,
    label: username,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
  }).toString();
}

export function totpQrCode(uri: string): Promise<string> {
  return toDataURL(uri);
}

/**
 * The time step a code belongs to, or undefined when it matches none in the
 * window around `now`. Callers accept a step only once (no replay).
 */
export function matchTotpStep(secretBase32: string, code: string, now: Date): number | undefined {
  if (!CODE.test(code)) return undefined;
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    timestamp: now.getTime(),
    window: WINDOW,
  });
  if (delta === null) return undefined;
  return Math.floor(now.getTime() / 1000 / PERIOD_SECONDS) + delta;
}
