import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';

/** A controller method that serves a route, as its decorators declare it. */
export interface ControllerHandler {
  controller: Type;
  /** The method's name, under which Nest keeps its parameter metadata. */
  methodName: string;
  handler: (...args: unknown[]) => unknown;
  /** RequestMethod's name: GET, POST, ..., ALL. */
  method: string;
  /** Every path it is declared under, the controller's joined with its own, before any global prefix. */
  paths: string[];
}

export const joinPath = (...parts: string[]): string =>
  `/${parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;

/** Every route handler of every controller the app has, read from Nest's decorator metadata. */
export function controllerHandlers(discovery: DiscoveryService, scanner: MetadataScanner): ControllerHandler[] {
  const handlers: ControllerHandler[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Type | null;
    if (!controller) continue;
    const prototype = controller.prototype as Record<string, unknown>;
    const bases = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
    for (const methodName of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[methodName] as ControllerHandler['handler'];
      const own = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (own === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const paths = bases.flatMap((base) => [own].flat().map((path) => joinPath(base, path)));
      handlers.push({ controller, methodName, handler, method, paths });
    }
  }
  return handlers;
}
