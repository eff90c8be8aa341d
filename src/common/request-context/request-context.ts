import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is acting: filled in by authentication, read by audit and logging. */
export interface RequestActor {
  userId: string;
  username: string;
  sessionId?: string;
  apiKeyId?: string;
}

export interface RequestContext {
  traceId: string;
  ip: string;
  userAgent?: string;
  method: string;
  url: string;
  startedAt: bigint;
  actor?: RequestActor;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the HTTP request being served, if any (scheduled jobs have none). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Re-enters a context in the current execution, for callbacks that lost it (body parsing). */
export function enterRequestContext(context: RequestContext): void {
  storage.enterWith(context);
}
