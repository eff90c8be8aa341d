import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiKeyRefused } from '../../api-keys/api-keys.events';
import {
  AccountLocked,
  LoginFailed,
  LoginSucceeded,
  MfaDisabled,
  PasswordChanged,
  RecoveryCodeUsed,
} from '../../auth/auth.events';
import { UserPasswordReset, UserRoleChanged, UserUnlocked } from '../../auth/users/users.events';
import type { DomainEvent } from '../../common/events/domain-event';
import { OnDomainEvent } from '../../common/events/on-domain-event.decorator';
import { securityMonitorConfig } from '../../config';
import { AccessDenied, GrantCreated, GrantRevoked } from '../../rbac/rbac.events';
import { Detector } from '../detection/detector.service';
import { SecurityAlertFailed, SecurityIpBlocked, SecurityIpUnblocked } from '../security-monitor.events';
import { type Severity, threatLevelOf } from './security-event';
import { SecurityEventStore } from './security-event-store';

/**
 * The other modules' domain events, heard after their transaction commits:
 * each security-relevant one becomes a security_events row, and those that
 * rules count are handed to the detector as signals.
 */
@Injectable()
export class SecurityEventListener {
  constructor(
    private readonly store: SecurityEventStore,
    private readonly detector: Detector,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  @OnDomainEvent(LoginFailed)
  async loginFailed(event: LoginFailed): Promise<void> {
    const mfa = event.reason === 'bad_mfa_code' || event.reason === 'mfa_code_missing';
    await this.record(event, mfa ? 'auth.mfa.failed' : event.type, mfa ? 'medium' : 'low', 'auth', {
      userId: event.userId,
      details: { username: event.username, reason: event.reason },
    });
    this.detector.observe({
      kind: 'login-failed',
      username: event.username,
      userId: event.userId,
      ...this.client(event),
    });
  }

  @OnDomainEvent(LoginSucceeded)
  loginSucceeded(event: LoginSucceeded): void {
    this.detector.observe({
      kind: 'login-succeeded',
      userId: event.userId,
      username: event.username,
      sessionId: event.sessionId,
      ...this.client(event),
    });
  }

  @OnDomainEvent(ApiKeyRefused)
  async apiKeyRefused(event: ApiKeyRefused): Promise<void> {
    await this.record(event, event.type, 'low', 'api-keys', {
      details: { reason: event.reason, publicId: event.publicId ?? null, keyId: event.keyId ?? null },
    });
    this.detector.observe({
      kind: 'api-key-refused',
      keyId: event.keyId,
      publicId: event.publicId,
      ...this.client(event),
    });
  }

  @OnDomainEvent(AccessDenied)
  async accessDenied(event: AccessDenied): Promise<void> {
    const details = {
      username: event.username,
      permissions: event.permissions,
      resourceType: event.resourceType ?? null,
      resourceId: event.resourceId ?? null,
    };
    this.detector.observe({
      kind: 'access-denied',
      userId: event.userId,
      username: event.username,
      permissions: event.permissions,
      sessionId: event.origin.actor?.sessionId,
      apiKeyId: event.origin.actor?.apiKeyId,
      ...this.client(event),
    });
    await this.record(event, event.type, 'low', 'rbac', { userId: event.userId, details });
  }

  @OnDomainEvent(AccountLocked)
  accountLocked(event: AccountLocked): Promise<void> {
    return this.record(event, event.type, 'medium', 'auth', {
      userId: event.userId,
      details: { username: event.username, lockedUntil: event.lockedUntil, failedAttempts: event.failedAttempts },
    });
  }

  @OnDomainEvent(UserUnlocked)
  userUnlocked(event: UserUnlocked): Promise<void> {
    return this.record(event, event.type, 'low', 'users', {
      userId: event.userId,
      details: { username: event.username },
    });
  }

  @OnDomainEvent(RecoveryCodeUsed)
  recoveryCodeUsed(event: RecoveryCodeUsed): Promise<void> {
    return this.record(event, event.type, 'medium', 'auth', {
      userId: event.userId,
      details: { username: event.username },
    });
  }

  @OnDomainEvent(MfaDisabled)
  mfaDisabled(event: MfaDisabled): Promise<void> {
    return this.record(event, event.type, 'medium', 'auth', {
      userId: event.userId,
      details: { username: event.username },
    });
  }

  @OnDomainEvent(PasswordChanged)
  passwordChanged(event: PasswordChanged): Promise<void> {
    return this.record(event, event.type, 'info', 'auth', {
      userId: event.userId,
      details: { username: event.username },
    });
  }

  @OnDomainEvent(UserPasswordReset)
  passwordReset(event: UserPasswordReset): Promise<void> {
    return this.record(event, event.type, 'low', 'users', {
      userId: event.userId,
      details: { username: event.username },
    });
  }

  @OnDomainEvent(UserRoleChanged)
  roleChanged(event: UserRoleChanged): Promise<void> {
    return this.record(event, event.type, 'medium', 'users', {
      userId: event.userId,
      details: { username: event.username, ...event.changes },
    });
  }

  @OnDomainEvent(GrantCreated)
  grantCreated(event: GrantCreated): Promise<void> {
    return this.recordGrant(event);
  }

  @OnDomainEvent(GrantRevoked)
  grantRevoked(event: GrantRevoked): Promise<void> {
    return this.recordGrant(event);
  }

  @OnDomainEvent(SecurityIpBlocked)
  ipBlocked(event: SecurityIpBlocked): Promise<void> {
    return this.record(event, event.type, 'medium', 'security-monitor', {
      details: { blockId: event.blockId, network: event.network, expiresAt: event.expiresAt, offence: event.offence },
    });
  }

  @OnDomainEvent(SecurityIpUnblocked)
  ipUnblocked(event: SecurityIpUnblocked): Promise<void> {
    return this.record(event, event.type, 'info', 'security-monitor', {
      details: { blockId: event.blockId, network: event.network },
    });
  }

  @OnDomainEvent(SecurityAlertFailed)
  alertFailed(event: SecurityAlertFailed): Promise<void> {
    return this.record(event, event.type, 'medium', 'security-monitor', {
      details: { alertId: event.alertId, channel: event.channel, attempts: event.attempts, lastError: event.lastError },
    });
  }

  private recordGrant(event: GrantCreated | GrantRevoked): Promise<void> {
    return this.record(event, event.type, 'low', 'rbac', {
      userId: event.userId,
      details: {
        grantId: event.grantId,
        permission: event.permission,
        resourceType: event.resourceType,
        resourceId: event.resourceId,
        actorId: event.actorId,
      },
    });
  }

  private client(event: DomainEvent): { ip: string | null; userAgent: string | null; at: Date } {
    return { ip: event.origin.ip ?? null, userAgent: event.origin.userAgent ?? null, at: event.occurredAt };
  }

  private record(
    event: DomainEvent,
    eventType: string,
    severity: Severity,
    source: string,
    fields: { userId?: string; details: Record<string, unknown> },
  ): Promise<void> {
    if (!this.config.enabled) return Promise.resolve();
    return this.store.record({
      eventType,
      severity,
      source,
      userId: fields.userId ?? event.origin.actor?.userId ?? null,
      sessionId: event.origin.actor?.sessionId ?? null,
      details: fields.details,
      ip: event.origin.ip ?? null,
      userAgent: event.origin.userAgent ?? null,
      threatLevel: threatLevelOf(severity),
      metadata: event.origin.traceId ? { traceId: event.origin.traceId } : null,
      createdAt: event.occurredAt,
    });
  }
}
