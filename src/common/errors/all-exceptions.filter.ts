import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER } from '../request-context/request-context.hooks';
import { resolveTraceId } from '../request-context/trace-id.util';
import { DomainException } from './domain.exception';
import type { ErrorResponseDto } from './error-response.dto';

interface ErrorOutcome {
  status: number;
  message: string;
}

/** Fastify's own 4xx errors (body parsing, limits) carry a status and a code like FST_ERR_CTP_INVALID_JSON_BODY. */
interface FastifyClientError {
  statusCode: number;
  code: string;
  message: string;
}

/**
 * Every error leaves as {statusCode, error, message, traceId}: HTTP exceptions,
 * module exceptions, Fastify's parsing errors, unknown routes and bugs alike.
 * A 500 logs its stack here and never returns it.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const traceId = request.requestContext?.traceId ?? resolveTraceId(request.headers);
    const { status, message } = this.describe(exception);
    if (status >= 500) {
      this.logger.error(
        `${request.method} ${request.url} failed: ${exception instanceof Error ? exception.message : String(exception)}`,
        exception instanceof Error ? exception.stack : undefined,
      );
    }
    const body: ErrorResponseDto = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, traceId };
    void reply.header(REQUEST_ID_HEADER, traceId).status(status).send(body);
  }

  private describe(exception: unknown): ErrorOutcome {
    if (exception instanceof DomainException) {
      return { status: exception.status, message: exception.message };
    }
    if (exception instanceof HttpException) {
      return { status: exception.getStatus(), message: httpExceptionMessage(exception) };
    }
    if (isFastifyClientError(exception)) {
      return { status: exception.statusCode, message: exception.message };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
  }
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
