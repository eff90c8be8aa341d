import { randomUUID } from 'node:crypto';
import { isUUID as isUuid } from 'class-validator';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { currentRequestClient } from '../../common/request-context/request-origin';
import { authConfig } from '../../config';
import { type PreparedStatement, PreparedStatements } from '../../database/prepared-statements.service';
import type { Role } from '../../rbac/role';
import { type SessionRevocationReason, SessionRevoked } from '../auth.events';
import { AuthException, AuthErrorCode } from '../auth.exception';
import type { AuthenticatedUser } from '../authenticated-user';
import { Session } from '../entities/session.entity';
import type { User } from '../entities/user.entity';

/** last_seen_at is refreshed at most this often, so a busy session costs one write per interval, not per request. */
const TOUCH_INTERVAL_MS = 15_000;

interface SessionRow {
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  username: string;
  role: Role;
  is_active: boolean;
  must_change_password: boolean;
  mfa_enabled: boolean;
}

/** Every authenticated request's one statement: the session and its user, on the primary key. */
const SESSION_LOOKUP: PreparedStatement = {
  name: 'sentinel_session_lookup',
  text: `SELECT s.last_seen_at, s.expires_at, s.revoked_at,
                u.username, u.role, u.is_active, u.must_change_password, u.totp_secret IS NOT NULL AS mfa_enabled
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id = $1 AND s.user_id = $2`,
};

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
    private readonly statements: PreparedStatements,
  ) {}

  /**
   * Opens a session; beyond SESSION_MAX_PER_USER open ones, the oldest others
   * are revoked in the same transaction (the login's, which already holds the
   * user's row, so two logins at once cannot both stay under the cap).
   */
  async start(user: User): Promise<Session> {
    const now = this.clock.now();
    const client = currentRequestClient();
    const session = this.sessions.create({
      id: randomUUID(),
      userId: user.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.config.sessionTtlHours * 3_600_000),
      revokedAt: null,
      revokedReason: null,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    // insert, not save: save first reads the row by its (new) id, a round trip every login paid for nothing.
    await this.sessions.insert(session);
    await this.revokeBeyondCap(user.id, session.id, now);
    return session;
  }

  /** When the session started (its login), if it exists. */
  async startedAt(sessionId: string): Promise<Date | undefined> {
    const session = await this.sessions.findOne({ where: { id: sessionId }, select: { id: true, createdAt: true } });
    return session?.createdAt;
  }

  /** Deletes the sessions that can no longer be used (revoked, expired, idle too long): the cleanup job's work. */
  async removeFinished(): Promise<number> {
    const now = this.clock.now();
    const idleCutoff = new Date(now.getTime() - this.config.sessionIdleTimeoutMinutes * 60_000);
    const result = await this.sessions
      .createQueryBuilder()
      .delete()
      .where('revoked_at IS NOT NULL OR expires_at <= :now OR last_seen_at <= :idleCutoff', { now, idleCutoff })
      .execute();
    return result.affected ?? 0;
  }

  private async revokeBeyondCap(userId: string, keep: string, now: Date): Promise<void> {
    const result = await this.sessions
      .createQueryBuilder()
      .update()
      .set({ revokedAt: now, revokedReason: 'session_limit' })
      .where(
        `id IN (SELECT id FROM sessions WHERE user_id = :userId AND id <> :keep AND revoked_at IS NULL
                 AND expires_at > :now ORDER BY created_at DESC, last_seen_at DESC OFFSET :others)`,
        { userId, keep, now, others: this.config.sessionMaxPerUser - 1 },
      )
      .returning(['id'])
      .execute();
    this.published(userId, 'session_limit', result);
  }

  /** The user behind a token's session, if the session is still good; throws 401 otherwise. */
  async authenticate(sessionId: string, userId: string): Promise<AuthenticatedUser> {
    const now = this.clock.now();
    if (!isUuid(sessionId) || !isUuid(userId)) throw new AuthException(AuthErrorCode.Unauthenticated);
    const session = (await this.statements.rows<SessionRow>(SESSION_LOOKUP, [sessionId, userId])).at(0);
    if (!session || session.revoked_at !== null || session.expires_at <= now || !session.is_active) {
      throw new AuthException(AuthErrorCode.Unauthenticated);
    }
    const idleMs = now.getTime() - session.last_seen_at.getTime();
    if (idleMs > this.config.sessionIdleTimeoutMinutes * 60_000) {
      await this.revoke(userId, [sessionId], 'idle_timeout');
      throw new AuthException(AuthErrorCode.Unauthenticated);
    }
    if (idleMs > TOUCH_INTERVAL_MS) await this.sessions.update({ id: sessionId }, { lastSeenAt: now });
    return {
      id: userId,
      username: session.username,
      role: session.role,
      sessionId,
      mustChangePassword: session.must_change_password,
      mfaEnabled: session.mfa_enabled,
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
