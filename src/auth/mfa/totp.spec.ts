import { generateSync } from 'otplib';
import { generateTotpSecret, matchTotpStep, totpQrCode, totpUri } from './totp';

/** RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890". */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** RFC 6238 SHA-1 test vectors: Unix time and the 8-digit TOTP; our codes are their last 6 digits. */
const RFC_VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

const at = (seconds: number) => new Date(seconds * 1000);
const stepOf = (seconds: number) => Math.floor(seconds / 30);

describe('TOTP', () => {
  it('has the test data right: otplib gives the RFC 8-digit codes for this secret', () => {
    for (const [seconds, rfcCode] of RFC_VECTORS) {
      expect(generateSync({ secret: RFC_SECRET, epoch: seconds, digits: 8 })).toBe(rfcCode);
    }
  });

  it.each(RFC_VECTORS)('accepts the RFC 6238 code at T=%i (%s), in its own time step', (seconds, rfcCode) => {
    expect(matchTotpStep(RFC_SECRET, rfcCode.slice(-6), at(seconds))).toBe(stepOf(seconds));
  });

  it.each(RFC_VECTORS)('accepts the code of T=%i one step early or late, as that step', (seconds, rfcCode) => {
    const code = rfcCode.slice(-6);
    expect(matchTotpStep(RFC_SECRET, code, at(seconds + 30))).toBe(stepOf(seconds));
    if (seconds >= 30) expect(matchTotpStep(RFC_SECRET, code, at(seconds - 30))).toBe(stepOf(seconds));
  });

  it.each(RFC_VECTORS.slice(1))('refuses the code of T=%i two steps away', (seconds, rfcCode) => {
    const code = rfcCode.slice(-6);
    expect(matchTotpStep(RFC_SECRET, code, at(seconds + 60))).toBeUndefined();
    expect(matchTotpStep(RFC_SECRET, code, at(seconds - 60))).toBeUndefined();
  });

  it('refuses a wrong code', () => {
    expect(matchTotpStep(RFC_SECRET, '287083', at(59))).toBeUndefined();
    expect(matchTotpStep(RFC_SECRET, '000000', at(59))).toBeUndefined();
  });

  it('refuses the right code under another secret', () => {
    expect(matchTotpStep(generateTotpSecret(), '287082', at(59))).toBeUndefined();
  });

  it.each(['94287082', '28708', '2870820', '287 082', ' 287082', '287082\n', '28708a', 'abcdef', ''])(
    'refuses the malformed code %j',
    (code) => {
      expect(matchTotpStep(RFC_SECRET, code, at(59))).toBeUndefined();
    },
  );

  it('agrees with an independent implementation (otplib) on a fresh secret', () => {
    const secret = generateTotpSecret();
    const now = new Date('2031-05-17T10:20:44Z');
    const epoch = Math.floor(now.getTime() / 1000);
    const code = generateSync({ secret, epoch });
    expect(code).toMatch(/^\d{6}$/);
    expect(matchTotpStep(secret, code, now)).toBe(stepOf(epoch));
  });

  it('generates random 160-bit base32 secrets', () => {
    const secrets = Array.from({ length: 20 }, generateTotpSecret);
    for (const secret of secrets) expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it('describes the secret to authenticator apps as SHA-1, 6 digits, 30 seconds, issuer Sentinel', () => {
    const uri = new URL(totpUri(RFC_SECRET, 'alice'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Sentinel:alice');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'Sentinel',
      secret: RFC_SECRET,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });

  it('renders the URI as a PNG QR code data URL', async () => {
    const dataUrl = await totpQrCode(totpUri(RFC_SECRET, 'alice'));
    expect(dataUrl).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    const png = Buffer.from(dataUrl.split(',')[1], 'base64');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  });
});
