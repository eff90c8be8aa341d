import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER } from '../request-context/request-context.hooks';
import { resolveTraceId } from '../request-context/trace-id.util';
import type { ErrorResponseDto } from './error-response.dto';
import { describeError } from './describe-error';

/**
 * Every error leaves as {statusCode, error, code, message, traceId}: HTTP
 * exceptions, module exceptions, Fastify's parsing errors, unknown routes,
 * database outages and bugs alike. A 500 logs its stack here and never returns it.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const traceId = request.requestContext?.traceId ?? resolveTraceId(request.headers);
    const { status, code, message } = describeError(exception);
    if (status >= 500 && status !== 503) {
      this.logger.error(
        `${request.method} ${request.routeOptions.url ?? 'unmatched route'} failed: ${exception instanceof Error ? exception.message : String(exception)}`,
        exception instanceof Error ? exception.stack : undefined,
      );
    }
    void reply
      .header(REQUEST_ID_HEADER, traceId)
      // A route that answers text (/metrics) has set its own type; the error body is JSON.
      .type('application/json; charset=utf-8')
      .status(status)
      .send(errorBody(status, code, message, traceId));
  }
}

export function errorBody(status: number, code: string, message: string, traceId: string): ErrorResponseDto {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message, traceId };
}
