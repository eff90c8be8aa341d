import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { controllerHandlers } from '../common/routing/controller-handlers';
import { AuditedTransactionInterceptor, STATE_CHANGING } from './audited-transaction.interceptor';
import { COMPUTES_ONLY } from './decorators/audit.decorator';

/** Methods whose handlers run in an audited transaction; ALL may be any of them, so it is bound too. */
const BOUND_METHODS = new Set([...STATE_CHANGING, 'ALL']);

/** Each app's interceptor, by the Fastify server that app's routes are served by. */
const interceptorOfServer = new WeakMap<object, AuditedTransactionInterceptor>();

/**
 * What the routes' metadata holds. Metadata belongs to the controller
 * classes, so every app a process builds (tests build several, some at the
 * same time) reads the same entry: it holds no app's state, and hands each
 * request to the interceptor of the app serving it.
 */
export const AUDITED_TRANSACTION: NestInterceptor = {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const server = context.switchToHttp().getRequest<FastifyRequest>().server;
    const own = interceptorOfServer.get(server);
    // Unreachable while AuditModule is in the app; a state change must never run unaudited.
    if (!own) throw new Error('This app has no AuditedTransactionInterceptor for its state-changing routes');
    return own.intercept(context, next);
  },
};

/**
 * Binds the AuditedTransactionInterceptor to every state-changing route of
 * every controller (all but those declared @ComputesOnly()), and to no other. It runs as Nest builds its providers,
 * so before any route is registered, the moment Nest reads a route's
 * interceptors. Bound globally, the interceptor ran on every read too, where
 * it only passes the call on, and that alone put Nest's interceptor pipeline
 * (rxjs, an async scope per call) on each read: with no interceptor, Nest
 * calls the handler directly.
 */
@Injectable()
export class AuditedTransactionRoutes implements OnModuleInit {
  constructor(
    discovery: DiscoveryService,
    scanner: MetadataScanner,
    private readonly adapterHost: HttpAdapterHost,
    private readonly interceptor: AuditedTransactionInterceptor,
  ) {
    for (const { handler, method } of controllerHandlers(discovery, scanner)) {
      if (BOUND_METHODS.has(method) && Reflect.getMetadata(COMPUTES_ONLY, handler) !== true) bind(handler);
    }
  }

  /** Before the app listens; a testing module gets its HTTP adapter only after its providers are built. */
  onModuleInit(): void {
    // An application context without HTTP (the command line, a benchmark) serves no routes.
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null;
    if (adapter) interceptorOfServer.set(adapter.getInstance<object>(), this.interceptor);
  }
}

/**
 * First among the method's own interceptors. An instance, not a class: a
 * class would be looked up among the controller module's injectables, which
 * Nest collected before this ran.
 */
function bind(handler: object): void {
  const declared =
    (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as (NestInterceptor | Type)[] | undefined) ?? [];
  if (!declared.includes(AUDITED_TRANSACTION))
    Reflect.defineMetadata(INTERCEPTORS_METADATA, [AUDITED_TRANSACTION, ...declared], handler);
}
