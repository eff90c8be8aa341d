import { generateKeyPairSync } from 'node:crypto';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import type { authConfig, tokensConfig } from '../../config';
import type { JwtSigningKeys, Signer, Verifier } from '../../secrets/signing-keys/jwt-signing-keys.service';
import { AccessTokens, VERIFIED_TOKENS_KEPT } from './access-tokens.service';

/** The managed keys as AccessTokens sees them: one signer, whose verifier can be withdrawn. */
class OneManagedKey {
  trusted = true;
  private readonly pair = generateKeyPairSync('ed25519');
  readonly signer: Signer = { kid: 'k1', algorithm: 'EdDSA', privateKey: this.pair.privateKey };

  current(): Promise<Signer> {
    return Promise.resolve(this.signer);
  }

  verifier(kid: string): Promise<Verifier | undefined> {
    const known = this.trusted && kid === this.signer.kid;
    return Promise.resolve(
      known ? { algorithm: 'EdDSA', publicKey: this.pair.publicKey, verifyUntil: null } : undefined,
    );
  }
}

describe('AccessTokens: a verified token remembered', () => {
  const auth = { jwtIssuer: 'sentinel', jwtAudience: 'sentinel-api' } as ConfigType<typeof authConfig>;
  const tokens = { algorithm: 'EdDSA' } as ConfigType<typeof tokensConfig>;
  const claims = { sub: '9ebf6835-9315-4208-a0f6-cbbceebe9319', jti: '2e399a4d-14a7-4f41-8693-3d25418b5f89' };
  let keys: OneManagedKey;
  let service: AccessTokens;

  beforeEach(() => {
    keys = new OneManagedKey();
    service = new AccessTokens('unused', auth, tokens, keys as unknown as JwtSigningKeys, new Clock());
  });

  it('is refused again once the key that signed it is no longer trusted', async () => {
    const token = await service.sign({ ...claims, username: 'alice' }, new Date(Date.now() + 600_000));
    await expect(service.verify(token)).resolves.toMatchObject(claims);
    keys.trusted = false;
    await expect(service.verify(token)).resolves.toBeUndefined();
  });

  it('is never a forgery: a token refused once is refused again, whatever it is sent with', async () => {
    const token = await service.sign({ ...claims, username: 'alice' }, new Date(Date.now() + 600_000));
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    await expect(service.verify(forged)).resolves.toBeUndefined();
    await expect(service.verify(token)).resolves.toMatchObject(claims);
    await expect(service.verify(forged)).resolves.toBeUndefined();
  });

  it('remembers at most VERIFIED_TOKENS_KEPT tokens, forgetting the oldest, and still verifies a forgotten one', async () => {
    const hmac = new AccessTokens(
      'unit-test-secret-0123456789abcdef',
      auth,
      { algorithm: 'HS256' } as ConfigType<typeof tokensConfig>,
      keys as unknown as JwtSigningKeys,
      new Clock(),
    );
    const remembered = (hmac as unknown as { verified: Map<string, unknown> }).verified;
    const expiresAt = new Date(Date.now() + 600_000);
    const issued = await Promise.all(
      Array.from({ length: VERIFIED_TOKENS_KEPT + 1 }, (_, index) =>
        hmac.sign({ sub: claims.sub, jti: `jti-${index}`, username: 'alice' }, expiresAt),
      ),
    );
    for (const token of issued) await hmac.verify(token);
    expect(remembered.size).toBe(VERIFIED_TOKENS_KEPT);
    expect(remembered.has(issued[0])).toBe(false);
    expect(remembered.has(issued[1])).toBe(true);
    expect(remembered.has(issued[VERIFIED_TOKENS_KEPT])).toBe(true);
    await expect(hmac.verify(issued[0])).resolves.toMatchObject({ jti: 'jti-0' });
    expect(remembered.size).toBe(VERIFIED_TOKENS_KEPT);
    expect(remembered.has(issued[1])).toBe(false);
  });
});
