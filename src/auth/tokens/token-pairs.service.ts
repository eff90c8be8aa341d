import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { tokensConfig } from '../../config';
import { Transactions } from '../../database/transactions/transactions.service';
import { RefreshTokenReused } from './tokens.events';
import { AuthErrorCode, AuthException } from '../auth.exception';
import type { AccessTokenClaims } from '../auth.service';
import { Session } from '../entities/session.entity';
import { SessionService } from '../sessions/session.service';
import { AccessTokens } from './access-tokens.service';
import { RefreshToken } from './refresh-token.entity';

/** `srt_<token id>_<secret>`: the id finds the row, the secret is compared with its hash. */
const REFRESH_TOKEN = /^srt_([0-9a-f-]{36})_([A-Za-z0-9_-]{43})$/;

/** What login and refresh answer with (TokenPairDto documents it). */
export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  expiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
}

const hashOf = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/**
 * Short access tokens (ACCESS_TOKEN_TTL_MINUTES) with a rotating refresh
 * token: each refresh spends the token and returns a new pair, within the
 * session's absolute lifetime and idle timeout. A spent token presented
 * again means it was copied: the whole session is revoked (RFC 6819 5.2.2.3).
 */
@Injectable()
export class TokenPairs {
  constructor(
    @InjectRepository(RefreshToken) private readonly refreshTokens: Repository<RefreshToken>,
    @InjectRepository(Session) private readonly sessionRows: Repository<Session>,
    @Inject(tokensConfig.KEY) private readonly config: ConfigType<typeof tokensConfig>,
    private readonly access: AccessTokens,
    private readonly sessions: SessionService,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  /** A new pair for a session just opened or just refreshed. */
  async issue(session: Session, username: string): Promise<TokenPair> {
    const now = this.clock.now();
    const accessExpiresAt = new Date(
      Math.min(now.getTime() + this.config.accessTokenTtlMinutes * 60_000, session.expiresAt.getTime()),
    );
    const claims: AccessTokenClaims = { sub: session.userId, jti: session.id, username };
    const id = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    await this.refreshTokens.insert({
      id,
      sessionId: session.id,
      secretHash: hashOf(secret),
      createdAt: now,
      expiresAt: session.expiresAt,
      usedAt: null,
    });
    return {
      accessToken: await this.access.sign(claims, accessExpiresAt),
      tokenType: 'Bearer',
      expiresAt: accessExpiresAt.toISOString(),
      refreshToken: `srt_${id}_${secret}`,
      refreshExpiresAt: session.expiresAt.toISOString(),
    };
  }

  async refresh(presented: string): Promise<TokenPair> {
    const match = REFRESH_TOKEN.exec(presented);
    if (!match) throw new AuthException(AuthErrorCode.Unauthenticated);
    const token = await this.refreshTokens.findOne({ where: { id: match[1] }, lock: { mode: 'pessimistic_write' } });
    if (!token || !timingSafeEqual(token.secretHash, hashOf(match[2]))) {
      throw new AuthException(AuthErrorCode.Unauthenticated);
    }
    const session = await this.sessionRows.findOne({ where: { id: token.sessionId } });
    if (!session) throw new AuthException(AuthErrorCode.Unauthenticated);
    if (token.usedAt) await this.reused(session);
    // Revoked, expired, idle or deactivated: the same 401 (and an idle session is revoked here).
    const user = await this.sessions.authenticate(session.id, session.userId);
    const spent = await this.refreshTokens.update({ id: token.id, usedAt: IsNull() }, { usedAt: this.clock.now() });
    if (!spent.affected) await this.reused(session);
    return this.issue(session, user.username);
  }

  private async reused(session: Session): Promise<never> {
    // The revocation stands although the request is refused.
    this.transactions.commitOnFailure();
    this.events.publish(new RefreshTokenReused(session.userId, session.id));
    await this.sessions.revokeOwn(session.userId, session.id, 'refresh_token_reuse').catch((error: unknown) => {
      // Already over (revoked or expired): nothing left to revoke.
      if (!(error instanceof AuthException && error.code === AuthErrorCode.SessionNotFound)) throw error;
    });
    throw new AuthException(AuthErrorCode.Unauthenticated);
  }
}
