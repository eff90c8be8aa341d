import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { currentRequestClient } from '../../common/request-context/request-origin';
import { authConfig } from '../../config';
import { type SessionRevocationReason, SessionRevoked } from '../auth.events';
import { AuthException, AuthErrorCode } from '../auth.exception';
import type { AuthenticatedUser } from '../authenticated-user';
import { Session } from '../entities/session.entity';
import type { User } from '../entities/user.entity';

/** last_seen_at is refreshed at most this often, so a busy session costs one write per interval, not per request. */
const TOUCH_INTERVAL_MS = 15_000;

/**
 * Server-side sessions behind the JWTs: every authenticated request checks
 * its session row, so a logout, lockout or deactivation takes effect at once
 * on every instance.
 */
@Injectable()
export class SessionService {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  async start(user: User): Promise<Session> {
    const now = this.clock.now();
    const client = currentRequestClient();
    return this.sessions.save(
      this.sessions.create({
        id: randomUUID(),
        userId: user.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + this.config.sessionTtlHours * 3_600_000),
        revokedAt: null,
        revokedReason: null,
        ip: client.ip,
        userAgent: client.userAgent,
      }),
    );
  }

  /** The user behind a token's session, if the session is still good; throws 401 otherwise. */
  async authenticate(sessionId: string, userId: string): Promise<AuthenticatedUser> {
    const now = this.clock.now();
    // One joined query on the primary key: findOne with a relation would add a limit, which TypeORM
    // answers with two round trips, on the path every authenticated request takes.
    const session = await this.sessions
      .createQueryBuilder('session')
      .innerJoinAndSelect('session.user', 'user')
      .where('session.id = :sessionId AND session.user_id = :userId', { sessionId, userId })
      .getOne();
    if (!session?.user || session.revokedAt !== null || session.expiresAt <= now || !session.user.isActive) {
      throw new AuthException(AuthErrorCode.Unauthenticated);
    }
    if (now.getTime() - session.lastSeenAt.getTime() > this.config.sessionIdleTimeoutMinutes * 60_000) {
      await this.revoke(session.userId, [session.id], 'idle_timeout');
      throw new AuthException(AuthErrorCode.Unauthenticated);
    }
    if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.sessions.update({ id: session.id }, { lastSeenAt: now });
    }
    const { user } = session;
    return {
      id: user.id,
      username: user.username,
      role: user.role,
      sessionId: session.id,
      mustChangePassword: user.mustChangePassword,
      mfaEnabled: user.mfaEnabled,
    };
  }

  /** The sessions of a user that can still be used. */
  listActive(userId: string): Promise<Session[]> {
    const now = this.clock.now();
    const idleCutoff = new Date(now.getTime() - this.config.sessionIdleTimeoutMinutes * 60_000);
    return this.sessions.find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(now), lastSeenAt: MoreThan(idleCutoff) },
      order: { lastSeenAt: 'DESC' },
    });
  }

  /** Revokes one of the user's own sessions; 404 when it is not theirs or already over. */
  async revokeOwn(userId: string, sessionId: string, reason: SessionRevocationReason): Promise<void> {
    const revoked = await this.revoke(userId, [sessionId], reason);
    if (revoked.length === 0) throw new AuthException(AuthErrorCode.SessionNotFound);
  }

  /** Revokes every open session of a user, optionally keeping one (the caller's own), in one statement. */
  async revokeAll(userId: string, reason: SessionRevocationReason, options: { except?: string } = {}): Promise<number> {
    const builder = this.sessions
      .createQueryBuilder()
      .update()
      .set({ revokedAt: this.clock.now(), revokedReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId });
    if (options.except) builder.andWhere('id <> :except', { except: options.except });
    return this.published(userId, reason, await builder.returning(['id']).execute()).length;
  }

  private async revoke(userId: string, sessionIds: string[], reason: SessionRevocationReason): Promise<string[]> {
    if (sessionIds.length === 0) return [];
    const result = await this.sessions
      .createQueryBuilder()
      .update()
      .set({ revokedAt: this.clock.now(), revokedReason: reason })
      .where('user_id = :userId AND id IN (:...sessionIds) AND revoked_at IS NULL', { userId, sessionIds })
      .returning(['id'])
      .execute();
    return this.published(userId, reason, result);
  }

  /** Tells the others which sessions a revocation ended, and returns them. */
  private published(userId: string, reason: SessionRevocationReason, result: { raw: unknown }): string[] {
    const revoked = (result.raw as { id: string }[]).map((row) => row.id);
    if (revoked.length > 0) this.events.publish(new SessionRevoked(userId, revoked, reason));
    return revoked;
  }
}
