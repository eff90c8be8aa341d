import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { currentTransactionScope, runInTransactionScope } from '../../database/transactions/transaction-scope';
import { Clock } from '../clock/clock';
import { currentRequestContext } from '../request-context/request-context';
import type { DomainEvent, EventOrigin } from './domain-event';

/** Work that must commit together with the change that raised the event: the audit trail's rows. */
export type InTransactionSubscriber = (event: DomainEvent) => void;

/**
 * The one publisher of domain events. An event raised inside a transaction
 * is held until it commits and dropped if it rolls back; listeners then hear
 * it off the request path. In-transaction subscribers (audit) are told at
 * once, so what they stage is written in the same transaction.
 */
@Injectable()
export class DomainEvents {
  private readonly logger = new Logger('DomainEvents');
  private readonly inTransaction: InTransactionSubscriber[] = [];

  constructor(
    private readonly emitter: EventEmitter2,
    private readonly clock: Clock,
  ) {}

  subscribeInTransaction(subscriber: InTransactionSubscriber): void {
    this.inTransaction.push(subscriber);
  }

  publish(event: DomainEvent): void {
    event.occurredAt = this.clock.now();
    event.origin = originOfCurrentRequest();
    for (const subscriber of this.inTransaction) subscriber(event);
    const scope = currentTransactionScope();
    if (scope) {
      scope.onAfterCommit(() => {
        this.deliver(event);
      });
    } else this.deliver(event);
  }

  /** Listeners run outside the raising transaction, which has committed: their statements go to the pool. */
  private deliver(event: DomainEvent): void {
    setImmediate(() => {
      void runInTransactionScope(undefined, () => {
        try {
          this.emitter.emit(event.type, event);
        } catch (error) {
          this.logger.error(
            `a listener of ${event.type} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        return Promise.resolve();
      });
    });
  }
}

function originOfCurrentRequest(): EventOrigin {
  const context = currentRequestContext();
  if (!context) return {};
  return { ip: context.ip, userAgent: context.userAgent, traceId: context.traceId, actor: context.actor };
}
