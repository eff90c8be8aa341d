import { type CanActivate, type ExecutionContext, Inject, Injectable, type Type } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { AuthenticationGuard } from '../../../auth/guards/authentication.guard';
import { metricsConfig } from '../../../config';
import { RequirePermissions } from '../../../rbac/decorators/require-permissions.decorator';
import { PermissionGuard } from '../../../rbac/guards/permission.guard';
import { Permission } from '../../../rbac/permission';
import { presentsScrapeToken } from './scrape-token';

/** Never routed: carries the access requirement the app's guards apply to a caller without the scrape token. */
class MetricsReaderRoute {
  @RequirePermissions([Permission.MetricsRead])
  scrape(): void {
    // Metadata only.
  }
}

// Only the handler's metadata is read, by the guards; it is never called, so it needs no `this`.
// eslint-disable-next-line @typescript-eslint/unbound-method
const METRICS_READER_HANDLER = MetricsReaderRoute.prototype.scrape;

/**
 * Protects the Prometheus endpoint, which is @Public() so that the global
 * authentication guard lets a scraper through: the request passes with
 * `Authorization: Bearer <METRICS_SCRAPE_TOKEN>`, or else exactly as on a
 * route declaring @RequirePermissions([metrics:read]), through the app's own
 * authentication (JWT, then API key) and permission guards: 401 without
 * valid credentials, 403 without metrics:read.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  constructor(
    private readonly authentication: AuthenticationGuard,
    private readonly permissions: PermissionGuard,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (presentsScrapeToken(request.headers.authorization, this.config.scrapeToken)) return true;
    const asMetricsReader = withRoute(context, MetricsReaderRoute, METRICS_READER_HANDLER);
    return (
      (await this.authentication.canActivate(asMetricsReader)) && (await this.permissions.canActivate(asMetricsReader))
    );
  }
}

/** The same request, seen by guards as if it had reached `handler` of `controller`. */
function withRoute(context: ExecutionContext, controller: Type, handler: () => void): ExecutionContext {
  return {
    getClass: <T>() => controller as Type<T>,
    getHandler: () => handler,
    getArgs: () => context.getArgs(),
    getArgByIndex: (index) => context.getArgByIndex(index),
    switchToHttp: () => context.switchToHttp(),
    switchToRpc: () => context.switchToRpc(),
    switchToWs: () => context.switchToWs(),
    getType: () => context.getType(),
  };
}
