import { Injectable, type NestInterceptor, RequestMethod, type Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { AuditedTransactionInterceptor, STATE_CHANGING } from './audited-transaction.interceptor';

/** Methods whose handlers run in an audited transaction; ALL may be any of them, so it is bound too. */
const BOUND_METHODS = new Set([...STATE_CHANGING, 'ALL']);

/**
 * Binds the AuditedTransactionInterceptor to every state-changing route of
 * every controller, and to no other. It runs as Nest builds its providers,
 * so before any route is registered, the moment Nest reads a route's
 * interceptors. Bound globally, the interceptor ran on every read too, where
 * it only passes the call on, and that alone put Nest's interceptor pipeline
 * (rxjs, an async scope per call) on each read: with no interceptor, Nest
 * calls the handler directly.
 */
@Injectable()
export class AuditedTransactionRoutes {
  constructor(discovery: DiscoveryService, scanner: MetadataScanner, interceptor: AuditedTransactionInterceptor) {
    for (const wrapper of discovery.getControllers()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        if (BOUND_METHODS.has(method)) bind(handler, interceptor);
      }
    }
  }
}

/**
 * First among the method's own interceptors. The instance, not the class: the
 * class would be looked up among the controller module's injectables, which
 * Nest collected before this ran. Another app built in the same process (a
 * test's) replaces the previous app's instance instead of adding its own.
 */
function bind(handler: object, interceptor: AuditedTransactionInterceptor): void {
  const declared =
    (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as (NestInterceptor | Type)[] | undefined) ?? [];
  const others = declared.filter((entry) => !(entry instanceof AuditedTransactionInterceptor));
  Reflect.defineMetadata(INTERCEPTORS_METADATA, [interceptor, ...others], handler);
}
