import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../common/errors/domain.exception';

export enum AuditErrorCode {
  EmptyChain = 'AUDIT_CHAIN_EMPTY',
  ForgedHead = 'AUDIT_CHAIN_HEAD_FORGED',
  UnknownChainKey = 'AUDIT_CHAIN_KEY_UNKNOWN',
}

const OUTCOMES: Record<AuditErrorCode, ErrorOutcome> = {
  [AuditErrorCode.EmptyChain]: [HttpStatus.NOT_FOUND, 'No audit record has been chained yet'],
  [AuditErrorCode.ForgedHead]: [
    HttpStatus.CONFLICT,
    'The chain head fails its signature: it was altered outside the app (see GET /audit-logs/verify)',
  ],
  [AuditErrorCode.UnknownChainKey]: [
    HttpStatus.CONFLICT,
    'The chain head is signed with a key AUDIT_CHAIN_KEY no longer lists (see GET /audit-logs/verify)',
  ],
};

export class AuditException extends DomainException<AuditErrorCode> {
  constructor(code: AuditErrorCode, detail?: string) {
    super(code, OUTCOMES, detail);
  }
}
