import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Clock } from '../../common/clock/clock';
import { errorBody } from '../../common/errors/all-exceptions.filter';
import { REQUEST_ID_HEADER } from '../../common/request-context/request-context.hooks';
import { securityMonitorConfig } from '../../config';
import { SecurityMonitorErrorCode, SecurityMonitorException } from '../security-monitor.exception';
import { Allowlist } from './allowlist';
import { BlockEnforcer } from './block-enforcer';
import { clientIp } from '../../common/request-context/client-ip';

declare module 'fastify' {
  interface FastifyRequest {
    /** Refused because its address is blocked: the response observers skip it. */
    securityBlocked?: boolean;
  }
}

const BLOCKED = new SecurityMonitorException(SecurityMonitorErrorCode.IpBlocked);

/**
 * Refuses every request from a blocked address with 403 and the uniform
 * body, in Fastify's onRequest phase: after the request context has the
 * client ip (as TRUST_PROXY's rules yield it) and before the rate limiter,
 * authentication or any handler. Registered at module init, so it runs after
 * the request-context hook that app.setup adds first.
 */
@Injectable()
export class IpBlockHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly enforcer: BlockEnforcer,
    private readonly allowlist: Allowlist,
    private readonly clock: Clock,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  onModuleInit(): void {
    // An application context without HTTP (a CLI, a benchmark) has no adapter and no requests to refuse.
    if (!this.config.enabled || !(this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null)) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      const ip = clientIp(request);
      const block = this.enforcer.blocking(ip);
      if (!block || this.allowlist.coversIp(ip)) {
        done();
        return;
      }
      request.securityBlocked = true;
      const traceId = request.requestContext?.traceId ?? '';
      const secondsLeft = Math.max(1, Math.ceil((block.expiresAt.getTime() - this.clock.now().getTime()) / 1000));
      void reply
        .code(BLOCKED.status)
        .header(REQUEST_ID_HEADER, traceId)
        .header('retry-after', String(secondsLeft))
        .send(errorBody(BLOCKED.status, BLOCKED.code, BLOCKED.message, traceId));
    });
  }
}
