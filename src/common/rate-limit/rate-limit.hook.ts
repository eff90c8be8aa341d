import { clientIp } from '../request-context/client-ip';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../errors/all-exceptions.filter';
import { REQUEST_ID_HEADER } from '../request-context/request-context.hooks';
import { resolveTraceId } from '../request-context/trace-id.util';
import { type CatalogRoute, RouteCatalog } from '../routing/route-catalog.service';
import { RATE_LIMIT_BUDGET, RATE_LIMIT_EXEMPT, type RateLimitBudget } from './rate-limit.decorator';
import { RateLimiter, RateLimitUnavailableError } from './rate-limiter.service';

export const RATE_LIMITED_MESSAGE = 'Too many requests; retry later';

interface Refusal {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The pre-routing rate limit, for paths that reach no hook; resolves true when it answered the request. */
    preRoutingLimit?: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
  }
}

/**
 * The one rate limit, applied in Fastify's onRequest phase, before routing
 * has any effect: after the request context (client ip) and the IP block
 * (registered at module init, before this bootstrap hook), before body
 * parsing, authentication and the handler. So a 404, a 415 or a 401 costs a
 * client the same as a served request, and an unknown-URL flood meets 429.
 * Each route has its own per-ip bucket (`@RateLimit('login')` picks the login
 * budget); requests that match no route share one per-ip bucket.
 */
@Injectable()
export class RateLimitHook implements OnApplicationBootstrap {
  /** Each route's budget, read from its decorators once (null: exempt), not reflected per request. */
  private readonly budgets = new Map<CatalogRoute, RateLimitBudget | null>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly routes: RouteCatalog,
    private readonly limiter: RateLimiter,
  ) {}

  onApplicationBootstrap(): void {
    // An application context without HTTP (a CLI, a benchmark) has no requests to count.
    if (!(this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null)) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Callback style: an exempt route passes without a promise; a refusal answers and never calls done.
    fastify.addHook('onRequest', (request, reply, done) => {
      const bucket = this.bucketOf(request);
      if (!bucket) {
        done();
        return;
      }
      this.count(bucket, request, reply).then(
        (refused) => {
          if (!refused) done();
        },
        (error: unknown) => {
          done(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
    // Requests Fastify's router refuses (a malformed URL) reach no hook: its frameworkErrors handler asks here.
    fastify.decorate('preRoutingLimit', (request: FastifyRequest, reply: FastifyReply) => this.limit(request, reply));
  }

  /** Counts the request; true when it was refused here (429, or 503 for a login that cannot be counted). */
  private async limit(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const bucket = this.bucketOf(request);
    return bucket ? this.count(bucket, request, reply) : false;
  }

  private async count(
    bucket: { budget: RateLimitBudget; key: string },
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<boolean> {
    let refusal: Refusal | undefined;
    try {
      const decision = await this.limiter.hit(bucket.budget, bucket.key);
      if (!decision.allowed)
        refusal = { status: 429, code: 'RATE_LIMITED', message: RATE_LIMITED_MESSAGE, ...decision };
    } catch (error) {
      if (!(error instanceof RateLimitUnavailableError)) throw error;
      refusal = {
        status: 503,
        code: 'RATE_LIMIT_UNAVAILABLE',
        message: 'The login limit cannot be counted right now; retry later',
        retryAfterSeconds: 5,
      };
    }
    if (!refusal) return false;
    const traceId = request.requestContext?.traceId ?? resolveTraceId(request.headers);
    await reply
      .code(refusal.status)
      .header(REQUEST_ID_HEADER, traceId)
      .header('retry-after', String(refusal.retryAfterSeconds))
      .send(errorBody(refusal.status, refusal.code, refusal.message, traceId));
    return true;
  }

  /** Undefined for a route marked @NoRateLimit(). */
  private bucketOf(request: FastifyRequest): { budget: RateLimitBudget; key: string } | undefined {
    const ip = clientIp(request);
    const route = this.routes.find(request.method, request.routeOptions.url);
    if (!route) return { budget: 'default', key: `unrouted:${ip}` };
    const budget = this.budgetOf(route);
    return budget === null ? undefined : { budget, key: `${route.method} ${route.url}:${ip}` };
  }

  private budgetOf(route: CatalogRoute): RateLimitBudget | null {
    let budget = this.budgets.get(route);
    if (budget === undefined) {
      budget =
        Reflect.getMetadata(RATE_LIMIT_EXEMPT, route.handler) === true
          ? null
          : ((Reflect.getMetadata(RATE_LIMIT_BUDGET, route.handler) as RateLimitBudget | undefined) ?? 'default');
      this.budgets.set(route, budget);
    }
    return budget;
  }
}
