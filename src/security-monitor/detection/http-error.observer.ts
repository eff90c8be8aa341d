import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Clock } from '../../common/clock/clock';
import { securityMonitorConfig } from '../../config';
import { Detector } from './detector.service';
import { clientIp } from '../../common/request-context/client-ip';

/** Answers that say a client is probing: missing credentials, refused access, paths that do not exist. */
const PROBE_STATUSES = new Set([401, 403, 404, 405]);

/**
 * Watches responses (Fastify's onResponse, which sees every outcome,
 * unknown routes included) and hands each probing answer to the detector,
 * whose scanning policies count them per client ip. Requests refused for a
 * block are not counted again.
 */
@Injectable()
export class HttpErrorObserver implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly detector: Detector,
    private readonly clock: Clock,
    @Inject(securityMonitorConfig.KEY) private readonly config: ConfigType<typeof securityMonitorConfig>,
  ) {}

  onModuleInit(): void {
    if (!this.config.enabled || !(this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null)) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      if (PROBE_STATUSES.has(reply.statusCode) && !request.securityBlocked) this.observe(request, reply.statusCode);
      done();
    });
  }

  private observe(request: FastifyRequest, status: number): void {
    const context = request.requestContext;
    this.detector.observe({
      kind: 'http-error',
      status,
      path: `${request.method} ${request.url.split('?')[0].slice(0, 200)}`,
      ip: clientIp(request),
      userAgent: context?.userAgent?.slice(0, 300) ?? null,
      userId: context?.actor?.userId,
      at: this.clock.now(),
    });
  }
}
