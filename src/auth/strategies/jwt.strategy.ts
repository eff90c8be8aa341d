import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { authConfig } from '../../config';
import type { AccessTokenClaims } from '../auth.service';
import type { AuthenticatedUser } from '../authenticated-user';
import { JWT_SIGNING_KEY } from '../jwt-signing-key.provider';
import { SessionService } from '../sessions/session.service';

export const JWT_STRATEGY = 'jwt';

/**
 * Bearer tokens: HS256 only (so `alg: none` and key-confusion tricks fail),
 * issuer and audience pinned, and then the session row must still be good.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    @Inject(JWT_SIGNING_KEY) signingKey: string,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    private readonly sessions: SessionService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: signingKey,
      algorithms: ['HS256'],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ignoreExpiration: false,
    });
  }

  validate(claims: Partial<AccessTokenClaims>): Promise<AuthenticatedUser> {
    return this.sessions.authenticate(String(claims.jti), String(claims.sub));
  }
}
