import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../common/errors/domain.exception';

export enum RbacErrorCode {
  Forbidden = 'FORBIDDEN',
  UnknownUser = 'UNKNOWN_USER',
  GrantNotFound = 'GRANT_NOT_FOUND',
  CannotGrantWhatYouLack = 'CANNOT_GRANT_WHAT_YOU_LACK',
  AdminOnlyPermission = 'ADMIN_ONLY_PERMISSION',
  InvalidScope = 'INVALID_SCOPE',
  ExpiryInPast = 'EXPIRY_IN_PAST',
}

const OUTCOMES: Record<RbacErrorCode, ErrorOutcome> = {
  [RbacErrorCode.Forbidden]: [HttpStatus.FORBIDDEN, 'You do not have permission to do this'],
  [RbacErrorCode.UnknownUser]: [HttpStatus.NOT_FOUND, 'User not found'],
  [RbacErrorCode.GrantNotFound]: [HttpStatus.NOT_FOUND, 'Grant not found'],
  [RbacErrorCode.CannotGrantWhatYouLack]: [HttpStatus.FORBIDDEN, 'You cannot grant a permission you do not hold'],
  [RbacErrorCode.AdminOnlyPermission]: [HttpStatus.FORBIDDEN, 'Only an ADMIN can grant this'],
  [RbacErrorCode.InvalidScope]: [HttpStatus.BAD_REQUEST, 'resourceId needs a resourceType'],
  [RbacErrorCode.ExpiryInPast]: [HttpStatus.BAD_REQUEST, 'expiresAt must be in the future'],
};

export class RbacException extends DomainException<RbacErrorCode> {
  constructor(code: RbacErrorCode, detail?: string) {
    super(code, OUTCOMES, detail);
  }
}
