import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';

/** Interceptors run only after every guard allowed the request: that is the audit row's `allowed = true`. */
@Injectable()
export class HandlerReachedInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') context.switchToHttp().getRequest<FastifyRequest>().auditReachedHandler = true;
    return next.handle();
  }
}
