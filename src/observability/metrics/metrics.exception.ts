import { HttpStatus } from '@nestjs/common';
import { DomainException, type ErrorOutcome } from '../../common/errors/domain.exception';

export enum MetricsErrorCode {
  AgentNotFound = 'METRICS_AGENT_NOT_FOUND',
  InvalidRange = 'METRICS_INVALID_RANGE',
  TooManyBuckets = 'METRICS_TOO_MANY_BUCKETS',
}

const OUTCOMES: Record<MetricsErrorCode, ErrorOutcome> = {
  [MetricsErrorCode.AgentNotFound]: [HttpStatus.NOT_FOUND, 'No such agent, and no runs recorded for that id'],
  [MetricsErrorCode.InvalidRange]: [HttpStatus.BAD_REQUEST, 'from must be earlier than to'],
  [MetricsErrorCode.TooManyBuckets]: [
    HttpStatus.BAD_REQUEST,
    'The range holds more than 2000 buckets: narrow it or widen bucketSeconds',
  ],
};

export class MetricsException extends DomainException<MetricsErrorCode> {
  constructor(code: MetricsErrorCode) {
    super(code, OUTCOMES);
  }
}
