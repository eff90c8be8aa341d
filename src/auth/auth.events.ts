import { DomainEvent, domainEvent, type EventAuditRecord } from '../common/events/domain-event';
import type { LockScope } from './lockout/lockout-policy';

/**
 * What the auth module tells the others. Payloads name people and sessions
 * by id; they never carry a password, hash, token, TOTP secret or recovery code.
 */

export type LoginFailureReason =
  'unknown_user' | 'bad_password' | 'locked' | 'inactive' | 'mfa_code_missing' | 'bad_mfa_code';

export class LoginSucceeded extends domainEvent('auth.login.succeeded') {
  constructor(
    readonly userId: string,
    readonly username: string,
    readonly sessionId: string,
    readonly usedRecoveryCode: boolean,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      userId: this.userId,
      username: this.username,
      sessionId: this.sessionId,
      resourceType: 'session',
      resourceId: this.sessionId,
      details: { usedRecoveryCode: this.usedRecoveryCode },
    };
  }
}

export class LoginFailed extends domainEvent('auth.login.failed') {
  constructor(
    /** As typed by the caller (cut to 64 characters); for an unknown user there is no id. */
    readonly username: string,
    readonly reason: LoginFailureReason,
    readonly userId?: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      userId: this.userId ?? null,
      username: this.username,
      resourceType: 'user',
      resourceId: this.userId ?? null,
      success: false,
      details: { reason: this.reason },
    };
  }
}

export class AccountLocked extends domainEvent('auth.account.locked') {
  constructor(
    readonly userId: string,
    readonly username: string,
    readonly lockedUntil: Date,
    readonly failedAttempts: number,
    /** 'client': for the request's ip only; 'account': for every ip; 'permanent': until unlocked. */
    readonly scope: LockScope,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      userId: this.userId,
      username: this.username,
      resourceType: 'user',
      resourceId: this.userId,
      details: {
        failedAttempts: this.failedAttempts,
        lockedUntil: this.lockedUntil.toISOString(),
        scope: this.scope,
      },
    };
  }
}

export type SessionRevocationReason =
  | 'logout'
  | 'logout_all'
  | 'revoked_by_owner'
  | 'password_changed'
  | 'password_reset'
  | 'user_deactivated'
  | 'role_changed'
  | 'revoked_by_admin'
  | 'idle_timeout'
  | 'account_locked'
  | 'security_response'
  | 'refresh_token_reuse'
  | 'session_limit'
  | 'mfa_reset';

export class SessionRevoked extends domainEvent('auth.session.revoked') {
  constructor(
    readonly userId: string,
    readonly sessionIds: string[],
    readonly reason: SessionRevocationReason,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return {
      userId: this.userId,
      resourceType: 'session',
      resourceId: this.sessionIds.length === 1 ? this.sessionIds[0] : null,
      details: { reason: this.reason, sessionIds: this.sessionIds },
    };
  }
}

/** An event about one user's own credentials (password, MFA). */
abstract class UserCredentialEvent extends DomainEvent {
  constructor(
    readonly userId: string,
    readonly username: string,
  ) {
    super();
  }

  override audit(): EventAuditRecord {
    return { userId: this.userId, username: this.username, resourceType: 'user', resourceId: this.userId };
  }
}

export class PasswordChanged extends UserCredentialEvent {
  static override readonly type = 'auth.password.changed';
}

export class MfaEnabled extends UserCredentialEvent {
  static override readonly type = 'auth.mfa.enabled';
}

export class MfaDisabled extends UserCredentialEvent {
  static override readonly type = 'auth.mfa.disabled';
}

export class RecoveryCodeUsed extends UserCredentialEvent {
  static override readonly type = 'auth.mfa.recovery-code-used';
}
