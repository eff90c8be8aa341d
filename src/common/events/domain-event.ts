import type { RequestActor } from '../request-context/request-context';

/** Where an event was raised: the request's client and actor, when it came from a request. */
export interface EventOrigin {
  ip?: string;
  userAgent?: string;
  traceId?: string;
  actor?: RequestActor;
}

/**
 * What the audit trail records of a security-relevant event. The row's actor
 * is the request's (or `system`); these name who or what the event is about.
 */
export interface EventAuditRecord {
  /** The user the event concerns, when no one is signed in to act (a login, a lockout). */
  userId?: string | null;
  username?: string | null;
  sessionId?: string | null;
  resourceType?: string;
  resourceId?: string | null;
  /** False for a refusal or a failure (a bad password, a refused key). */
  success?: boolean;
  /** Identifiers and counts only: never a password, hash, token, key or secret. */
  details?: Record<string, unknown>;
}

/**
 * A fact one module tells the others, the one contract between them. Each
 * class has a stable `type` (stored in the audit trail, so never derived from
 * a class or method name). The publisher stamps it with the time and the
 * request it came from, and delivers it only once its transaction commits.
 */
export abstract class DomainEvent {
  static readonly type: string;
  occurredAt = new Date(0);
  origin: EventOrigin = {};

  get type(): string {
    return (this.constructor as typeof DomainEvent).type;
  }

  /** Security-relevant events say what their audit row holds; the others are not audited. */
  audit(): EventAuditRecord | undefined {
    return undefined;
  }
}

/** The base of an event class named `type`: `class LoginSucceeded extends domainEvent('auth.login.succeeded')`. */
export function domainEvent(type: string): (abstract new () => DomainEvent) & { readonly type: string } {
  abstract class NamedEvent extends DomainEvent {
    static override readonly type = type;
  }
  return NamedEvent;
}

export type DomainEventClass<E extends DomainEvent> = (abstract new (...args: never[]) => E) & {
  readonly type: string;
};
