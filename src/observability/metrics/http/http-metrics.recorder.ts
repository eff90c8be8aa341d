import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../../../common/clock/clock';
import { metricsConfig } from '../../../config';
import { PrometheusMetrics } from '../prometheus-metrics';
import { MetricsWriter } from '../store/metrics-writer.service';
import { sampleWeight } from './request-sampling';

/** The route label of a request no route matched: raw URLs would make one series per probe. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Measures every HTTP request from Fastify's hooks, which see all outcomes
 * (handler results, guard refusals, validation errors, unknown routes): the
 * duration histogram and in-flight gauge for Prometheus, and a sampled record
 * for the store, queued for a later batch and never awaited by the request.
 */
@Injectable()
export class HttpMetricsRecorder implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly prometheus: PrometheusMetrics,
    private readonly writer: MetricsWriter,
    private readonly clock: Clock,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  onModuleInit(): void {
    // An application context without HTTP (a CLI, a benchmark) has no adapter and no requests to measure.
    if (!this.config.enabled || !(this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null)) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (_request, reply, done) => {
      this.started(reply);
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      this.finished(request, reply);
      done();
    });
  }

  private started(reply: FastifyReply): void {
    const inFlight = this.prometheus.httpRequestsInFlight;
    inFlight.inc();
    // 'close' comes exactly once, whether the response was sent or the client went away first.
    reply.raw.once('close', () => {
      inFlight.dec();
    });
  }

  private finished(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const statusCode = reply.statusCode;
    const durationMs = reply.elapsedTime;
    this.prometheus.httpRequestDuration.observe(
      { method: request.method, route, status: String(statusCode) },
      durationMs / 1000,
    );
    const weight = sampleWeight(statusCode, durationMs, this.config);
    if (weight === 0) return;
    this.writer.addHttpRequest({
      recordedAt: this.clock.now(),
      method: request.method,
      route,
      statusCode,
      durationMs,
      weight,
    });
  }
}
