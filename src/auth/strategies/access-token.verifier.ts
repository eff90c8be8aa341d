import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../authenticated-user';
import { SessionService } from '../sessions/session.service';
import { AccessTokens } from '../tokens/access-tokens.service';

/**
 * Bearer tokens: the signature under the token's pinned algorithm (the managed
 * key its `kid` names, or HS256), issuer, audience and expiry (AccessTokens);
 * then the session row must still be good. Undefined for a token that is not
 * ours or no longer valid.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly sessions: SessionService,
  ) {}

  async verify(token: string): Promise<AuthenticatedUser | undefined> {
    const claims = await this.tokens.verify(token);
    // SessionService.authenticate checks the ids' shape itself (a non-uuid is a 401, not a query error).
    return claims ? this.sessions.authenticate(claims.jti, claims.sub) : undefined;
  }
}
