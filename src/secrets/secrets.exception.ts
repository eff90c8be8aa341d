import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../common/errors/domain.exception';

export enum SecretsErrorCode {
  NotFound = 'SECRET_NOT_FOUND',
  NameTaken = 'SECRET_NAME_TAKEN',
  VersionNotFound = 'SECRET_VERSION_NOT_FOUND',
  VersionDeleted = 'SECRET_VERSION_DELETED',
  VersionDestroyed = 'SECRET_VERSION_DESTROYED',
  CasMismatch = 'SECRET_CAS_MISMATCH',
  CasRequired = 'SECRET_CAS_REQUIRED',
  ValueRequired = 'SECRET_VALUE_REQUIRED',
  NotGeneratable = 'SECRET_NOT_GENERATABLE',
  Inactive = 'SECRET_INACTIVE',
  IntegrityFailed = 'SECRET_INTEGRITY_FAILED',
  TransitKeyNotFound = 'TRANSIT_KEY_NOT_FOUND',
  TransitKeyExists = 'TRANSIT_KEY_EXISTS',
  TransitInvalidCiphertext = 'TRANSIT_INVALID_CIPHERTEXT',
  TransitVersionTooOld = 'TRANSIT_VERSION_BELOW_MIN_DECRYPTION',
  TransitInvalidConfig = 'TRANSIT_INVALID_CONFIG',
  TransitDeletionNotAllowed = 'TRANSIT_DELETION_NOT_ALLOWED',
}

const OUTCOMES: Record<SecretsErrorCode, ErrorOutcome> = {
  [SecretsErrorCode.NotFound]: [HttpStatus.NOT_FOUND, 'Secret not found'],
  [SecretsErrorCode.NameTaken]: [HttpStatus.CONFLICT, 'A secret with this name exists'],
  [SecretsErrorCode.VersionNotFound]: [
    HttpStatus.NOT_FOUND,
    'No such version of this secret (never written, or pruned)',
  ],
  [SecretsErrorCode.VersionDeleted]: [HttpStatus.NOT_FOUND, 'This version is deleted; undelete it to read it'],
  [SecretsErrorCode.VersionDestroyed]: [HttpStatus.GONE, 'This version is destroyed; its value is gone for good'],
  [SecretsErrorCode.CasMismatch]: [
    HttpStatus.CONFLICT,
    'cas does not match the current version: someone wrote since you read',
  ],
  [SecretsErrorCode.CasRequired]: [
    HttpStatus.BAD_REQUEST,
    'This secret needs cas (the version you last read) on write',
  ],
  [SecretsErrorCode.ValueRequired]: [
    HttpStatus.BAD_REQUEST,
    'This type of secret cannot be generated: give its value (api_key and generic come from elsewhere)',
  ],
  [SecretsErrorCode.NotGeneratable]: [
    HttpStatus.CONFLICT,
    'This type of secret cannot be generated: write its new value with PUT instead',
  ],
  [SecretsErrorCode.Inactive]: [HttpStatus.CONFLICT, 'This secret is deactivated'],
  [SecretsErrorCode.IntegrityFailed]: [
    HttpStatus.UNPROCESSABLE_ENTITY,
    'The stored secret failed its integrity check (AES-GCM tag): it was altered, or its master key is not in the keyring',
  ],
  [SecretsErrorCode.TransitKeyNotFound]: [HttpStatus.NOT_FOUND, 'Transit key not found'],
  [SecretsErrorCode.TransitKeyExists]: [HttpStatus.CONFLICT, 'A transit key with this name exists'],
  [SecretsErrorCode.TransitInvalidCiphertext]: [
    HttpStatus.BAD_REQUEST,
    'The ciphertext is malformed, was altered, or was made with another key or context',
  ],
  [SecretsErrorCode.TransitVersionTooOld]: [
    HttpStatus.BAD_REQUEST,
    'The ciphertext was made with a key version below the key’s minDecryptionVersion',
  ],
  [SecretsErrorCode.TransitInvalidConfig]: [
    HttpStatus.BAD_REQUEST,
    'minDecryptionVersion must be between 1 and the latest version',
  ],
  [SecretsErrorCode.TransitDeletionNotAllowed]: [
    HttpStatus.CONFLICT,
    'This key does not allow deletion: set deletionAllowed first',
  ],
};

export class SecretsException extends DomainException<SecretsErrorCode> {
  constructor(code: SecretsErrorCode, detail?: string) {
    super(code, OUTCOMES, detail);
  }
}
