import { Injectable } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { API_PREFIX } from './api-prefix';
import { type ControllerHandler, controllerHandlers, joinPath } from './controller-handlers';

/** A route the app serves and the controller method behind it, whose metadata says how to treat it. */
export interface CatalogRoute extends Omit<ControllerHandler, 'paths'> {
  /** As Fastify matched it: `/api/v1/agents/:id`. */
  url: string;
}

/**
 * Every route the app serves, keyed by method and Fastify's route pattern,
 * worked out once from the controllers. Hooks that run for requests no
 * guard has seen yet (a 415, a body too deep, a refused credential) can then
 * still tell which route was asked for, without reflecting per request.
 */
@Injectable()
export class RouteCatalog {
  private routes?: Map<string, CatalogRoute>;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** The route a request matched (`request.routeOptions.url`), if it is one of the app's controllers'. */
  find(method: string, url: string | undefined): CatalogRoute | undefined {
    if (url === undefined) return undefined;
    this.routes ??= this.build();
    return this.routes.get(`${method === 'HEAD' ? 'GET' : method} ${url}`);
  }

  all(): CatalogRoute[] {
    this.routes ??= this.build();
    return [...this.routes.values()];
  }

  private build(): Map<string, CatalogRoute> {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const routes = new Map<string, CatalogRoute>();
    for (const { controller, methodName, handler, method, paths } of controllerHandlers(this.discovery, this.scanner)) {
      for (const path of paths) {
        const url = servedUrl(fastify, method, path);
        if (url) routes.set(`${method} ${url}`, { method, url, controller, methodName, handler });
      }
    }
    return routes;
  }
}

/** Under the global prefix, or bare for the operational routes kept outside it. */
function servedUrl(fastify: FastifyInstance, method: string, path: string): string | undefined {
  return [joinPath(API_PREFIX, path), path].find((url) => fastify.hasRoute({ method, url }));
}
