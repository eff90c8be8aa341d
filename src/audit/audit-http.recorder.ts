import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../common/clock/clock';
import { auditConfig } from '../config';
import { requestAuditEntry } from './audit-request.entry';
import { AuditTargets } from './audit-target';
import { AuditTrail } from './audit-trail.service';

/** Swagger UI and its document are not the app's routes, and change nothing. */
const UNAUDITED_PATH = /^\/docs(?:[/?-]|$)/;

/**
 * Records every HTTP request whose row was not already committed with its
 * change: reads, and requests refused or failed before or in their handler
 * (400, 401, 403, 404, 413, 415, 429, ...). Fastify's onSend hook sees every
 * outcome; reads are never held up by the database, only by a full queue.
 */
@Injectable()
export class AuditHttpRecorder implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly trail: AuditTrail,
    private readonly targets: AuditTargets,
    private readonly clock: Clock,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {}

  onModuleInit(): void {
    // An application context without HTTP (a CLI, a benchmark) has no adapter and no requests to record.
    if (!this.config.enabled || !(this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null)) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Callback style: a request with nothing to record passes without a promise.
    fastify.addHook('onSend', (request, reply, payload, done) => {
      const recorded = this.record(request, reply, payload);
      if (!recorded) {
        done(null, payload);
        return;
      }
      recorded.then(
        () => {
          done(null, payload);
        },
        (error: unknown) => {
          done(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** The row's admission to the trail (waiting only while its queue is full), or undefined when there is none to write. */
  private record(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> | undefined {
    if (request.auditRecorded || UNAUDITED_PATH.test(request.url)) return undefined;
    const target = this.targets.of(request.method, request.routeOptions.url);
    if (!target) return undefined;
    const status = reply.statusCode;
    const error = status >= 400 ? (request.errorDescription ?? errorOfPayload(payload)) : undefined;
    return this.trail.recordRequest(requestAuditEntry(request, target, { status, error }, this.clock.now()));
  }
}

/** The uniform error body's code and message, for errors answered without passing the app's filter. */
function errorOfPayload(payload: unknown): { code: string; message: string } | undefined {
  if (typeof payload !== 'string' || payload.length > 10_000) return undefined;
  try {
    const { code, message } = JSON.parse(payload) as { code?: unknown; message?: unknown };
    return typeof message === 'string' ? { code: typeof code === 'string' ? code : '', message } : undefined;
  } catch {
    return undefined;
  }
}
