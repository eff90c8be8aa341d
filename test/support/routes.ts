import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { API_PREFIX } from '../../src/app.setup';
import { ACCESS_REQUIREMENT, type AccessRequirement } from '../../src/access/decorators/authenticated.decorator';
import { IS_PUBLIC } from '../../src/common/decorators/public.decorator';

export interface DiscoveredRoute {
  controller: Type;
  handlerName: string;
  method: string;
  /** The path as declared, without the global prefix, e.g. `/agents/:id`. */
  path: string;
  isPublic: boolean;
  requirement: AccessRequirement | undefined;
}

const joinPath = (...parts: string[]): string =>
  `/${parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;

/** Every handler of every controller the running app registered, with its access metadata (handler over class). */
export function discoverRoutes(app: NestFastifyApplication): DiscoveredRoute[] {
  const scanner = new MetadataScanner();
  const routes: DiscoveredRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      const controllerPaths = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
      for (const handlerName of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[handlerName] as object;
        const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (methodPath === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const isPublic = Boolean(
          (Reflect.getMetadata(IS_PUBLIC, handler) as boolean | undefined) ??
          (Reflect.getMetadata(IS_PUBLIC, controller) as boolean | undefined),
        );
        const requirement =
          (Reflect.getMetadata(ACCESS_REQUIREMENT, handler) as AccessRequirement | undefined) ??
          (Reflect.getMetadata(ACCESS_REQUIREMENT, controller) as AccessRequirement | undefined);
        for (const base of controllerPaths) {
          for (const sub of [methodPath].flat()) {
            routes.push({ controller, handlerName, method, path: joinPath(base, sub), isPublic, requirement });
          }
        }
      }
    }
  }
  return routes;
}

/**
 * The path the app serves a discovered route at: under the global prefix, or
 * bare for the operational routes kept outside it (/health/*, /metrics).
 */
export function servedPath(app: NestFastifyApplication, route: DiscoveredRoute): string {
  const prefixed = `/${API_PREFIX}${route.path}`;
  const fastify = app.getHttpAdapter().getInstance();
  return fastify.hasRoute({ method: route.method, url: prefixed }) ? prefixed : route.path;
}
