import { createSecretKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { Clock } from '../../common/clock/clock';
import { authConfig, tokensConfig } from '../../config';
import { JwtSigningKeys } from '../../secrets/signing-keys/jwt-signing-keys.service';
import type { AccessTokenClaims } from '../auth.service';
import { JWT_SIGNING_KEY } from '../jwt-signing-key.provider';

/** The claims a verified access token yields; only these are trusted. */
export interface VerifiedAccessToken extends AccessTokenClaims {
  exp: number;
  iat: number;
}

/** How many verified tokens are remembered; past it the oldest is forgotten (at most a few MB). */
export const VERIFIED_TOKENS_KEPT = 10_000;

/** A token whose signature, algorithm, issuer and audience held, with the managed key that signed it. */
interface VerifiedToken {
  claims: VerifiedAccessToken;
  kid?: string;
}

/**
 * Signs and verifies access tokens: with the managed EdDSA/ES256 keys (`kid`
 * in the header, published as JWKS), or HS256 with JWT_SECRET for one-secret
 * setups. The algorithm is pinned per key, so `alg: none` and key confusion fail.
 */
@Injectable()
export class AccessTokens {
  private readonly hmacKey: KeyObject;
  /**
   * Every request of a session presents the same token: once its signature has
   * held, the same bytes are not verified again. Its expiry is still checked
   * each time, and its managed key must still be trusted; the session row is
   * checked on every request after this (AccessTokenVerifier), so a logout or
   * a revocation takes effect at once. Only verified tokens get in, so a flood
   * of forged ones costs what it did and evicts nothing.
   */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    @Inject(JWT_SIGNING_KEY) secret: string,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(tokensConfig.KEY) private readonly config: ConfigType<typeof tokensConfig>,
    private readonly keys: JwtSigningKeys,
    private readonly clock: Clock,
  ) {
    this.hmacKey = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  async sign(claims: AccessTokenClaims, expiresAt: Date): Promise<string> {
    const jwt = new SignJWT({ username: claims.username })
      .setSubject(claims.sub)
      .setJti(claims.jti)
      .setIssuer(this.auth.jwtIssuer)
      .setAudience(this.auth.jwtAudience)
      .setIssuedAt(Math.floor(this.clock.now().getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000));
    if (this.config.algorithm === 'HS256')
      return jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.hmacKey);
    const signer = await this.keys.current();
    return jwt.setProtectedHeader({ alg: signer.algorithm, kid: signer.kid, typ: 'JWT' }).sign(signer.privateKey);
  }

  /**
   * The token's claims if its signature, algorithm, issuer, audience and expiry
   * hold; undefined otherwise. Only a token that fails those checks reads as
   * "not authenticated": a key that cannot be looked up (the database is away)
   * throws, so the client hears 503, not 401.
   */
  async verify(token: string): Promise<VerifiedAccessToken | undefined> {
    const known = this.verified.get(token);
    if (known) return (await this.stillValid(known)) ? known.claims : undefined;
    const verified = await this.verifySignature(token);
    if (verified) this.remember(token, verified);
    return verified?.claims;
  }

  private async verifySignature(token: string): Promise<VerifiedToken | undefined> {
    const key = await this.keyFor(token);
    if (!key) return undefined;
    try {
      const { payload } = await jwtVerify(token, key.key, {
        algorithms: [key.algorithm],
        issuer: this.auth.jwtIssuer,
        audience: this.auth.jwtAudience,
        // The app's clock, as for sessions, so expiry follows the same time everywhere.
        currentDate: this.clock.now(),
      });
      const { sub, jti, username, exp, iat } = payload;
      if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') return undefined;
      const claims = { sub, jti, username: typeof username === 'string' ? username : '', exp, iat: iat ?? 0 };
      return { claims, kid: key.kid };
    } catch {
      return undefined;
    }
  }

  /** jose's own expiry rule (`exp` after the current second, no tolerance), and the signing key still trusted. */
  private async stillValid({ claims, kid }: VerifiedToken): Promise<boolean> {
    if (claims.exp <= Math.floor(this.clock.now().getTime() / 1000)) return false;
    return kid === undefined || (await this.keys.verifier(kid)) !== undefined;
  }

  private remember(token: string, verified: VerifiedToken): void {
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(token, verified);
  }

  /** The key to check the token's signature with: the one secret, or the managed key its `kid` names. */
  private async keyFor(token: string): Promise<{ key: KeyObject; algorithm: string; kid?: string } | undefined> {
    if (this.config.algorithm === 'HS256') return { key: this.hmacKey, algorithm: 'HS256' };
    const kid = kidOf(token);
    if (kid === undefined) return undefined;
    const verifier = await this.keys.verifier(kid);
    return verifier && { key: verifier.publicKey, algorithm: verifier.algorithm, kid };
  }
}

/** The `kid` of a token's protected header; undefined for a token that is not a JWS at all. */
function kidOf(token: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
