import type { Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { getMetadataStorage } from 'class-validator';

/** The fields a route's body and query DTOs declare; undefined where the route takes no DTO there. */
export interface DeclaredInputFields {
  body?: ReadonlySet<string>;
  query?: ReadonlySet<string>;
}

interface RouteArgument {
  index: number;
  data?: unknown;
}

/**
 * Read once per route from Nest's parameter metadata and class-validator's:
 * what a well-formed request may carry. Anything else in a request is a
 * mistake or an attack, and its value has no business in a record.
 */
export function declaredInputFields(controller: Type, methodName: string): DeclaredInputFields {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) ?? {}) as Record<
    string,
    RouteArgument
  >;
  const prototype = controller.prototype as object;
  const types = (Reflect.getMetadata('design:paramtypes', prototype, methodName) ?? []) as unknown[];
  const fieldsOf = (kind: RouteParamtypes): ReadonlySet<string> | undefined => {
    const argument = Object.entries(args).find(([key]) => key.split(':')[0] === String(kind))?.[1];
    // @Body('name') takes one field, not a DTO: leave such routes as they are.
    if (!argument || argument.data !== undefined) return undefined;
    const dto = types[argument.index];
    if (typeof dto !== 'function' || dto === Object) return undefined;
    const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    return new Set(metadata.map((entry) => entry.propertyName));
  };
  return { body: fieldsOf(RouteParamtypes.BODY), query: fieldsOf(RouteParamtypes.QUERY) };
}
