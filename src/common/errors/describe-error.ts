import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { isDatabaseUnavailable, postgresErrorCode } from '../../database/postgres-errors.util';
import { DomainException } from './domain.exception';

/** What a failure means to a client: the status, a code it can branch on, and a message safe to show. */
export interface ErrorDescription {
  status: number;
  code: string;
  message: string;
}

/** The code of an error that carries none of its own (an HTTP exception, a Fastify error), by status. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

/** Fastify's own error codes that say more than their status. */
const CODE_BY_FASTIFY_CODE: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_JSON_TOO_DEEP: 'JSON_TOO_DEEP',
  FST_ERR_INVALID_CHARACTERS: 'INVALID_CHARACTERS',
  FST_ERR_BAD_URL: 'BAD_URL',
};

/** Fastify's 4xx errors (body parsing, limits, routing) carry a status and a code like FST_ERR_BAD_URL. */
interface FastifyClientError {
  statusCode: number;
  code: string;
  message: string;
}

const logger = new Logger('Errors');

export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
}

/** One reading of any thrown value, shared by the error filter and the audit of a failed change. */
export function describeError(exception: unknown): ErrorDescription {
  if (exception instanceof DomainException) {
    const { status, code, message } = exception as DomainException;
    return { status, code, message };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { status, code: httpExceptionCode(exception, status), message: httpExceptionMessage(exception) };
  }
  if (isFastifyClientError(exception)) {
    const code = CODE_BY_FASTIFY_CODE[exception.code] ?? codeForStatus(exception.statusCode);
    return { status: exception.statusCode, code, message: exception.message };
  }
  if (isDatabaseUnavailable(exception)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      code: 'DATABASE_UNAVAILABLE',
      message: 'The database is unavailable; retry later',
    };
  }
  return databaseRefusalDescription(exception) ?? internalError();
}

/**
 * A query the database refused for its values, where no module mapped the
 * refusal to its own error: still the client's input, so a 4xx, and a
 * warning for the developers, since validation should have caught it first.
 */
function databaseRefusalDescription(exception: unknown): ErrorDescription | undefined {
  const sqlState = postgresErrorCode(exception);
  if (sqlState === undefined) return undefined;
  if (sqlState.startsWith('22') || sqlState === '23514') {
    logger.warn(`input reached the database unvalidated (SQLSTATE ${sqlState})`);
    return { status: HttpStatus.BAD_REQUEST, code: 'INVALID_INPUT', message: 'A value in the request is not valid' };
  }
  if (sqlState.startsWith('23')) {
    logger.warn(`a conflict reached the database unmapped (SQLSTATE ${sqlState})`);
    return { status: HttpStatus.CONFLICT, code: 'CONFLICT', message: 'The request conflicts with the current state' };
  }
  return undefined;
}

function internalError(): ErrorDescription {
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, code: 'INTERNAL_ERROR', message: 'Internal server error' };
}

function httpExceptionCode(exception: HttpException, status: number): string {
  const response = exception.getResponse();
  const code = typeof response === 'object' ? (response as { code?: unknown }).code : undefined;
  if (typeof code === 'string') return code;
  // The validation pipe's refusals carry the list of what failed.
  if (status === 400 && typeof response === 'object' && Array.isArray((response as { message?: unknown }).message)) {
    return 'VALIDATION_FAILED';
  }
  return codeForStatus(status);
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return typeof message === 'string' ? message : exception.message;
}

function isFastifyClientError(exception: unknown): exception is FastifyClientError {
  if (typeof exception !== 'object' || exception === null) return false;
  const { statusCode, code } = exception as Partial<FastifyClientError>;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && typeof code === 'string';
}
