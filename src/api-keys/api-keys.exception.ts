import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../common/errors/domain.exception';

export enum ApiKeyErrorCode {
  NotFound = 'API_KEY_NOT_FOUND',
  PermissionsExceedOwner = 'API_KEY_PERMISSIONS_EXCEED_OWNER',
  TtlTooLong = 'API_KEY_TTL_TOO_LONG',
  Revoked = 'API_KEY_REVOKED',
  OthersKeysForbidden = 'API_KEY_OTHERS_FORBIDDEN',
  OwnerOnly = 'API_KEY_OWNER_ONLY',
  RotationConflict = 'API_KEY_ROTATION_CONFLICT',
}

const OUTCOMES: Record<ApiKeyErrorCode, ErrorOutcome> = {
  [ApiKeyErrorCode.NotFound]: [HttpStatus.NOT_FOUND, 'API key not found'],
  [ApiKeyErrorCode.PermissionsExceedOwner]: [
    HttpStatus.FORBIDDEN,
    'A key cannot hold a permission its owner does not have',
  ],
  [ApiKeyErrorCode.TtlTooLong]: [HttpStatus.BAD_REQUEST, 'expiresInDays exceeds the maximum (API_KEY_MAX_TTL_DAYS)'],
  [ApiKeyErrorCode.Revoked]: [HttpStatus.CONFLICT, 'This key is revoked'],
  [ApiKeyErrorCode.OthersKeysForbidden]: [
    HttpStatus.FORBIDDEN,
    'Listing another user’s keys needs users:manage and the right to manage that user',
  ],
  [ApiKeyErrorCode.OwnerOnly]: [HttpStatus.FORBIDDEN, 'Only the key’s owner rotates it'],
  [ApiKeyErrorCode.RotationConflict]: [HttpStatus.CONFLICT, 'The key was rotated meanwhile; list it and retry'],
};

export class ApiKeyException extends DomainException<ApiKeyErrorCode> {
  constructor(code: ApiKeyErrorCode, detail?: string) {
    super(code, OUTCOMES, detail);
  }
}
