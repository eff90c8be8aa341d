import {
  type CallHandler,
  type ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { Clock } from '../common/clock/clock';
import { describeError } from '../common/errors/describe-error';
import { auditConfig } from '../config';
import { Transactions } from '../database/transactions/transactions.service';
import { createdIdOf, type RequestOutcome, requestAuditEntry } from './audit-request.entry';
import { AuditTargets } from './audit-target';
import { AuditTrail } from './audit-trail.service';

export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Runs a state-changing request's handler in one transaction and writes the
 * request's audit row in it, sent with the COMMIT: the change and its record
 * commit together or not at all, so no client is told "failed" for a change
 * that happened, nor "done" for one that was not recorded. Bound to the
 * state-changing routes only (AuditedTransactionRoutes); a read's row is
 * written once it is answered (AuditHttpRecorder).
 */
@Injectable()
export class AuditedTransactionInterceptor implements NestInterceptor {
  constructor(
    private readonly transactions: Transactions,
    private readonly trail: AuditTrail,
    private readonly targets: AuditTargets,
    private readonly clock: Clock,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // An @All() route is bound too: it changes state only when asked with such a method.
    if (!STATE_CHANGING.has(request.method)) return next.handle();
    const successStatus =
      (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ??
      (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    return from(this.transactions.run(() => this.handleRecorded(request, next, successStatus)));
  }

  private async handleRecorded(request: FastifyRequest, next: CallHandler, successStatus: number): Promise<unknown> {
    let result: unknown;
    try {
      result = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      // A failure whose writes must stand (a counted wrong password) commits with its own row.
      if (this.transactions.current?.commitsOnFailure) {
        const { status, code, message } = describeError(error);
        await this.stage(request, { status, error: { code, message } });
      }
      throw error;
    }
    await this.stage(request, { status: successStatus, createdId: createdIdOf(result) });
    return result;
  }

  private async stage(request: FastifyRequest, outcome: RequestOutcome): Promise<void> {
    const target = this.targets.of(request.method, request.routeOptions.url);
    if (!this.config.enabled || !target) return;
    await this.trail.record(requestAuditEntry(request, target, outcome, this.clock.now()));
    this.transactions.current?.onAfterCommit(() => {
      request.auditRecorded = true;
    });
  }
}
