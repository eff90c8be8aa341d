/**
 * Domain events the auth module publishes for audit and the security monitor.
 * Payloads name people and sessions by id; they never carry a password, hash,
 * token, TOTP secret or recovery code.
 */
export const AuthEvent = {
  LoginSucceeded: 'auth.login.succeeded',
  LoginFailed: 'auth.login.failed',
  AccountLocked: 'auth.account.locked',
  SessionRevoked: 'auth.session.revoked',
  PasswordChanged: 'auth.password.changed',
  MfaEnabled: 'auth.mfa.enabled',
  MfaDisabled: 'auth.mfa.disabled',
} as const;

export interface RequestOrigin {
  ip?: string;
  userAgent?: string;
  traceId?: string;
}

export type LoginFailureReason =
  'unknown_user' | 'bad_password' | 'locked' | 'inactive' | 'mfa_code_missing' | 'bad_mfa_code';

export interface LoginSucceededEvent extends RequestOrigin {
  userId: string;
  username: string;
  sessionId: string;
  usedRecoveryCode: boolean;
}

export interface LoginFailedEvent extends RequestOrigin {
  /** As typed by the caller (for an unknown user there is no id). */
  username: string;
  userId?: string;
  reason: LoginFailureReason;
}

export interface AccountLockedEvent extends RequestOrigin {
  userId: string;
  username: string;
  lockedUntil: Date;
  failedAttempts: number;
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
  | 'account_locked';

export interface SessionRevokedEvent {
  userId: string;
  sessionIds: string[];
  reason: SessionRevocationReason;
  actorId?: string;
}

export interface UserSecurityEvent extends RequestOrigin {
  userId: string;
  username: string;
}
