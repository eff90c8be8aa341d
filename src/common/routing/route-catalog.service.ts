import { Injectable, RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { API_PREFIX } from './api-prefix';

/** A route the app serves and the controller method behind it, whose metadata says how to treat it. */
export interface CatalogRoute {
  method: string;
  /** As Fastify matched it: `/api/v1/agents/:id`. */
  url: string;
  controller: Type;
  /** The controller method's name, under which Nest keeps its parameter metadata. */
  methodName: string;
  handler: (...args: unknown[]) => unknown;
}

const joinPath = (...parts: string[]): string =>
  `/${parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;

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
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      const bases = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as CatalogRoute['handler'];
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (paths === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        for (const base of bases) {
          for (const path of [paths].flat()) {
            const url = servedUrl(fastify, method, joinPath(base, path));
            if (url) routes.set(`${method} ${url}`, { method, url, controller, methodName: name, handler });
          }
        }
      }
    }
    return routes;
  }
}

/** Under the global prefix, or bare for the operational routes kept outside it. */
function servedUrl(fastify: FastifyInstance, method: string, path: string): string | undefined {
  return [joinPath(API_PREFIX, path), path].find((url) => fastify.hasRoute({ method, url }));
}
