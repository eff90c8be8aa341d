import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../common/errors/domain.exception';

export enum PlatformErrorCode {
  AgentNotFound = 'AGENT_NOT_FOUND',
  AgentNameTaken = 'AGENT_NAME_TAKEN',
  ProposalNotFound = 'PROPOSAL_NOT_FOUND',
  ProposalAlreadyDecided = 'PROPOSAL_ALREADY_DECIDED',
  OwnProposal = 'OWN_PROPOSAL',
  ApiToggleNotFound = 'API_TOGGLE_NOT_FOUND',
  ApiToggleNameTaken = 'API_TOGGLE_NAME_TAKEN',
}

const OUTCOMES: Record<PlatformErrorCode, ErrorOutcome> = {
  [PlatformErrorCode.AgentNotFound]: [HttpStatus.NOT_FOUND, 'Agent not found'],
  [PlatformErrorCode.AgentNameTaken]: [HttpStatus.CONFLICT, 'An agent with that name exists'],
  [PlatformErrorCode.ProposalNotFound]: [HttpStatus.NOT_FOUND, 'Proposal not found'],
  [PlatformErrorCode.ProposalAlreadyDecided]: [HttpStatus.CONFLICT, 'This proposal has already been decided'],
  [PlatformErrorCode.OwnProposal]: [HttpStatus.FORBIDDEN, 'The author of a proposal cannot decide it (four eyes)'],
  [PlatformErrorCode.ApiToggleNotFound]: [HttpStatus.NOT_FOUND, 'API toggle not found'],
  [PlatformErrorCode.ApiToggleNameTaken]: [HttpStatus.CONFLICT, 'An API toggle with that name exists'],
};

export class PlatformException extends DomainException<PlatformErrorCode> {
  constructor(code: PlatformErrorCode) {
    super(code, OUTCOMES);
  }
}
