import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../../common/errors/domain.exception';

export enum UserAdminErrorCode {
  UserNotFound = 'USER_NOT_FOUND',
  UsernameTaken = 'USERNAME_TAKEN',
  EmailTaken = 'EMAIL_TAKEN',
  LastAdmin = 'LAST_ADMIN',
  AdminOnly = 'ADMIN_ONLY',
  CannotDeleteSelf = 'CANNOT_DELETE_SELF',
  WeakPassword = 'WEAK_PASSWORD',
  TargetOutranksActor = 'TARGET_OUTRANKS_ACTOR',
  RoleExceedsActor = 'ROLE_EXCEEDS_ACTOR',
  MfaNotEnabled = 'MFA_NOT_ENABLED',
}

const OUTCOMES: Record<UserAdminErrorCode, ErrorOutcome> = {
  [UserAdminErrorCode.UserNotFound]: [HttpStatus.NOT_FOUND, 'User not found'],
  [UserAdminErrorCode.UsernameTaken]: [HttpStatus.CONFLICT, 'That username is taken'],
  [UserAdminErrorCode.EmailTaken]: [HttpStatus.CONFLICT, 'That email is already in use'],
  [UserAdminErrorCode.LastAdmin]: [
    HttpStatus.CONFLICT,
    'This is the last active ADMIN: it cannot be demoted, deactivated or deleted',
  ],
  [UserAdminErrorCode.AdminOnly]: [HttpStatus.FORBIDDEN, 'Only an ADMIN can give the ADMIN role or change an ADMIN'],
  [UserAdminErrorCode.CannotDeleteSelf]: [HttpStatus.CONFLICT, 'You cannot delete your own account'],
  [UserAdminErrorCode.WeakPassword]: [HttpStatus.BAD_REQUEST, 'Password does not meet the password policy'],
  [UserAdminErrorCode.TargetOutranksActor]: [
    HttpStatus.FORBIDDEN,
    'This user holds permissions you do not have; only an ADMIN can manage them',
  ],
  [UserAdminErrorCode.RoleExceedsActor]: [
    HttpStatus.FORBIDDEN,
    'That role carries permissions you do not have; you cannot give it',
  ],
  [UserAdminErrorCode.MfaNotEnabled]: [HttpStatus.CONFLICT, 'This user has no MFA to reset'],
};

export class UserAdminException extends DomainException<UserAdminErrorCode> {
  constructor(code: UserAdminErrorCode, detail?: string) {
    super(code, OUTCOMES, detail);
  }
}
