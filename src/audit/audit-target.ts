import { Injectable } from '@nestjs/common';
import { declaredInputFields, type DeclaredInputFields } from '../common/routing/declared-input-fields';
import { type CatalogRoute, RouteCatalog } from '../common/routing/route-catalog.service';
import { ACCESS_REQUIREMENT, type AccessRequirement } from '../access/decorators/authenticated.decorator';
import { AUDIT_ACTION, type AuditDeclaration, NOT_AUDITED } from './decorators/audit.decorator';

/** What an audit row says a request was about, from the route's declarations. */
export interface AuditTarget {
  action: string;
  resourceType: string | null;
  idParam: string | null;
  /** What the route's DTOs declare: only those fields' values are kept in the row. */
  declaredInput: DeclaredInputFields;
}

/** Requests no route of the app matched: unknown paths, probes for files. */
export const UNMATCHED_ROUTE_TARGET: AuditTarget = {
  action: 'http.unmatched-route',
  resourceType: null,
  idParam: null,
  declaredInput: {},
};

/** Reads each route's @Audit declaration once, and answers for every request to it from then on. */
@Injectable()
export class AuditTargets {
  private readonly targets = new Map<CatalogRoute, AuditTarget | null>();

  constructor(private readonly catalog: RouteCatalog) {}

  /** The target of a request to `url` (Fastify's route pattern); null for routes that are not audited. */
  of(method: string, url: string | undefined): AuditTarget | null {
    const route = this.catalog.find(method, url);
    if (!route) return UNMATCHED_ROUTE_TARGET;
    let target = this.targets.get(route);
    if (target === undefined) {
      target = targetOf(route);
      this.targets.set(route, target);
    }
    return target;
  }
}

function targetOf(route: CatalogRoute): AuditTarget | null {
  const metadata = (key: string): unknown =>
    (Reflect.getMetadata(key, route.handler) as unknown) ?? (Reflect.getMetadata(key, route.controller) as unknown);
  if (metadata(NOT_AUDITED) === true) return null;
  const declared = Reflect.getMetadata(AUDIT_ACTION, route.handler) as AuditDeclaration | undefined;
  const access = metadata(ACCESS_REQUIREMENT) as AccessRequirement | undefined;
  return {
    // A route without a declaration is caught by a test; until then it is still recorded, under a name that says so.
    action: declared?.action ?? 'http.undeclared-route',
    resourceType: declared?.resource ?? access?.scope?.resourceType ?? null,
    idParam: declared?.idParam ?? access?.scope?.idParam ?? null,
    declaredInput: declaredInputFields(route.controller, route.methodName),
  };
}
