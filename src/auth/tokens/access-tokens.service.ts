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

/**
 * Signs and verifies access tokens: with the managed EdDSA/ES256 keys (`kid`
 * in the header, published as JWKS), or HS256 with JWT_SECRET for one-secret
 * setups. The algorithm is pinned per key, so `alg: none` and key confusion fail.
 */
@Injectable()
export class AccessTokens {
  private readonly hmacKey: KeyObject;

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
      return { sub, jti, username: typeof username === 'string' ? username : '', exp, iat: iat ?? 0 };
    } catch {
      return undefined;
    }
  }

  private async keyFor(token: string): Promise<{ key: KeyObject; algorithm: string } | undefined> {
    if (this.config.algorithm === 'HS256') return { key: this.hmacKey, algorithm: 'HS256' };
    const kid = kidOf(token);
    if (kid === undefined) return undefined;
    const verifier = await this.keys.verifier(kid);
    return verifier && { key: verifier.publicKey, algorithm: verifier.algorithm };
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
