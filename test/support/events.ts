import type { INestApplication } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';

export interface RecordedEvent {
  name: string;
  payload: unknown;
}

/** Records every domain event the app emits, in order, until stopped. */
export class EventRecorder {
  readonly events: RecordedEvent[] = [];

  private readonly listener = (name: string | string[], payload: unknown): void => {
    const eventName = Array.isArray(name) ? name.join('.') : name;
    if (eventName.startsWith(this.prefix)) this.events.push({ name: eventName, payload });
  };

  constructor(
    private readonly emitter: EventEmitter2,
    private readonly prefix = '',
  ) {
    emitter.onAny(this.listener);
  }

  /** Payloads of the events with this name, optionally only those `matching` (e.g. one user's). */
  payloads<T>(name: string, matching: Partial<Record<string, unknown>> = {}): T[] {
    return this.events
      .filter((event) => event.name === name)
      .map((event) => event.payload as T & Record<string, unknown>)
      .filter((payload) => Object.entries(matching).every(([key, value]) => payload[key] === value));
  }

  stop(): void {
    this.emitter.offAny(this.listener);
  }
}

/** Records the app's events, or only those whose name starts with `prefix`. */
export function recordEvents(app: INestApplication, prefix = ''): EventRecorder {
  return new EventRecorder(app.get(EventEmitter2), prefix);
}

/**
 * What a domain event published with exactly these fields looks like: its
 * own fields, and the publisher's stamp (when, and from which request).
 */
export function publishedEvent(
  fields: Record<string, unknown>,
  origin: unknown = expect.any(Object),
): Record<string, unknown> {
  return { ...fields, occurredAt: expect.any(Date), origin };
}
