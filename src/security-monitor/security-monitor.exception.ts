import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../common/errors/domain.exception';

export enum SecurityMonitorErrorCode {
  IpBlocked = 'IP_BLOCKED',
  InvalidPolicyConfig = 'INVALID_POLICY_CONFIG',
  PolicyNotFound = 'POLICY_NOT_FOUND',
  PolicyNameTaken = 'POLICY_NAME_TAKEN',
  EventNotFound = 'SECURITY_EVENT_NOT_FOUND',
  EventAlreadyResolved = 'SECURITY_EVENT_ALREADY_RESOLVED',
  BlockNotFound = 'BLOCK_NOT_FOUND',
  Allowlisted = 'ALLOWLISTED',
  InvalidRange = 'INVALID_RANGE',
}

const OUTCOMES: Record<SecurityMonitorErrorCode, ErrorOutcome> = {
  [SecurityMonitorErrorCode.IpBlocked]: [HttpStatus.FORBIDDEN, 'Requests from this address are blocked'],
  [SecurityMonitorErrorCode.InvalidPolicyConfig]: [HttpStatus.BAD_REQUEST, 'The policy config is not valid'],
  [SecurityMonitorErrorCode.PolicyNotFound]: [HttpStatus.NOT_FOUND, 'Policy not found'],
  [SecurityMonitorErrorCode.PolicyNameTaken]: [HttpStatus.CONFLICT, 'A policy with this name exists'],
  [SecurityMonitorErrorCode.EventNotFound]: [HttpStatus.NOT_FOUND, 'Security event not found'],
  [SecurityMonitorErrorCode.EventAlreadyResolved]: [HttpStatus.CONFLICT, 'The security event is already resolved'],
  [SecurityMonitorErrorCode.BlockNotFound]: [HttpStatus.NOT_FOUND, 'No active block with this id'],
  [SecurityMonitorErrorCode.Allowlisted]: [
    HttpStatus.CONFLICT,
    'The address is allowlisted (SECURITY_ALLOWLIST_IPS): nothing blocks it',
  ],
  [SecurityMonitorErrorCode.InvalidRange]: [HttpStatus.BAD_REQUEST, '`from` must be before `to`'],
};

export class SecurityMonitorException extends DomainException<SecurityMonitorErrorCode> {
  constructor(code: SecurityMonitorErrorCode, detail?: string) {
    super(code, OUTCOMES, detail);
  }
}
