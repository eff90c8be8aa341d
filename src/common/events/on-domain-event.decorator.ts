import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEvent, DomainEventClass } from './domain-event';

/**
 * Listens to one event class, after its transaction committed and off the
 * request path; a failing listener is logged and never reaches the publisher.
 */
export function OnDomainEvent<E extends DomainEvent>(event: DomainEventClass<E>): MethodDecorator {
  return OnEvent(event.type, { async: true, promisify: true, suppressErrors: true });
}
