import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../common/errors/domain.exception';

export enum AuthErrorCode {
  InvalidCredentials = 'INVALID_CREDENTIALS',
  MfaCodeRequired = 'MFA_CODE_REQUIRED',
  Unauthenticated = 'UNAUTHENTICATED',
  PasswordChangeRequired = 'PASSWORD_CHANGE_REQUIRED',
  MfaEnrollmentRequired = 'MFA_ENROLLMENT_REQUIRED',
  WeakPassword = 'WEAK_PASSWORD',
  WrongCurrentPassword = 'WRONG_CURRENT_PASSWORD',
  SamePassword = 'SAME_PASSWORD',
  MfaAlreadyEnabled = 'MFA_ALREADY_ENABLED',
  MfaNotEnrolling = 'MFA_NOT_ENROLLING',
  MfaNotEnabled = 'MFA_NOT_ENABLED',
  InvalidMfaCode = 'INVALID_MFA_CODE',
  SessionNotFound = 'SESSION_NOT_FOUND',
  RouteAccessUndeclared = 'ROUTE_ACCESS_UNDECLARED',
  ServerBusy = 'SERVER_BUSY',
  SessionRequired = 'SESSION_REQUIRED',
  ApiKeyScope = 'API_KEY_SCOPE',
  AccountLocked = 'ACCOUNT_LOCKED',
  RecentProofRequired = 'RECENT_PROOF_REQUIRED',
}

const OUTCOMES: Record<AuthErrorCode, ErrorOutcome> = {
  // One message for unknown user, wrong password, locked and deactivated: nothing tells them apart.
  [AuthErrorCode.InvalidCredentials]: [HttpStatus.UNAUTHORIZED, 'Invalid username or password'],
  [AuthErrorCode.MfaCodeRequired]: [HttpStatus.UNAUTHORIZED, 'A TOTP code or a recovery code is required'],
  [AuthErrorCode.Unauthenticated]: [HttpStatus.UNAUTHORIZED, 'Authentication required'],
  [AuthErrorCode.PasswordChangeRequired]: [
    HttpStatus.FORBIDDEN,
    'Password change required: POST /api/v1/auth/password before anything else',
  ],
  [AuthErrorCode.MfaEnrollmentRequired]: [
    HttpStatus.FORBIDDEN,
    'MFA enrollment required for this role: enroll at /api/v1/auth/mfa/totp/enroll',
  ],
  [AuthErrorCode.WeakPassword]: [HttpStatus.BAD_REQUEST, 'Password does not meet the password policy'],
  [AuthErrorCode.WrongCurrentPassword]: [HttpStatus.BAD_REQUEST, 'Current password is not correct'],
  [AuthErrorCode.SamePassword]: [HttpStatus.BAD_REQUEST, 'New password must differ from the current one'],
  [AuthErrorCode.MfaAlreadyEnabled]: [HttpStatus.CONFLICT, 'TOTP is already enabled'],
  [AuthErrorCode.MfaNotEnrolling]: [HttpStatus.CONFLICT, 'No TOTP enrollment in progress: enroll first'],
  [AuthErrorCode.MfaNotEnabled]: [HttpStatus.CONFLICT, 'TOTP is not enabled'],
  [AuthErrorCode.InvalidMfaCode]: [HttpStatus.BAD_REQUEST, 'The code is not valid'],
  [AuthErrorCode.SessionNotFound]: [HttpStatus.NOT_FOUND, 'Session not found'],
  [AuthErrorCode.RouteAccessUndeclared]: [HttpStatus.FORBIDDEN, 'Forbidden'],
  [AuthErrorCode.ServerBusy]: [HttpStatus.SERVICE_UNAVAILABLE, 'Too many logins in progress; retry shortly'],
  [AuthErrorCode.SessionRequired]: [HttpStatus.FORBIDDEN, 'This route needs a login session; API keys cannot use it'],
  [AuthErrorCode.ApiKeyScope]: [HttpStatus.FORBIDDEN, 'The API key does not carry the permission this route needs'],
  // Told only to a signed-in caller (a login refusal never says it): the proof was not checked.
  [AuthErrorCode.AccountLocked]: [
    HttpStatus.FORBIDDEN,
    'The account is locked after too many failed attempts; the password or code was not checked',
  ],
  [AuthErrorCode.RecentProofRequired]: [
    HttpStatus.FORBIDDEN,
    'This needs a recent proof: send currentPassword, or log in again',
  ],
};

export class AuthException extends DomainException<AuthErrorCode> {
  constructor(code: AuthErrorCode, detail?: string) {
    super(code, OUTCOMES, detail);
  }
}
