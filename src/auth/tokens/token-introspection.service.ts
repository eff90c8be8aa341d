import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { authConfig } from '../../config';
import { Session } from '../entities/session.entity';
import { AccessTokens } from './access-tokens.service';
import type { IntrospectionDto } from './dto/tokens.dto';

/**
 * RFC 7662 for services that hold `tokens:introspect`: is this access token
 * good right now (signature, expiry, and its session not revoked, expired or
 * idle)? Asking does not count as the session's activity.
 */
@Injectable()
export class TokenIntrospection {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    private readonly access: AccessTokens,
    private readonly clock: Clock,
  ) {}

  async introspect(token: string): Promise<IntrospectionDto> {
    const claims = await this.access.verify(token);
    if (!claims) return { active: false };
    const session = await this.sessions.findOne({
      where: { id: claims.jti, userId: claims.sub },
      relations: { user: true },
    });
    const now = this.clock.now().getTime();
    const live =
      session?.user?.isActive === true &&
      session.revokedAt === null &&
      session.expiresAt.getTime() > now &&
      now - session.lastSeenAt.getTime() <= this.config.sessionIdleTimeoutMinutes * 60_000;
    if (!live) return { active: false };
    return {
      active: true,
      sub: claims.sub,
      username: claims.username,
      jti: claims.jti,
      exp: claims.exp,
      iat: claims.iat,
      iss: this.config.jwtIssuer,
      aud: this.config.jwtAudience,
      token_type: 'access_token',
    };
  }
}
