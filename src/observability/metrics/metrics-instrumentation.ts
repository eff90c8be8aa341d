import { performance } from 'node:perf_hooks';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Clock } from '../../common/clock/clock';
import { metricsConfig } from '../../config';
import { outcomeOfError, outcomeOfResult } from './decorators/call-outcome';
import { TRACK_AGENT_RUN, type TrackedAgentRun } from './decorators/track-agent-run.decorator';
import { TRACK_EXTERNAL_CALL } from './decorators/track-external-call.decorator';
import { MetricsRecorder } from './metrics-recorder.service';

type AsyncMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * Gives @TrackAgentRun() and @TrackExternalCall() their effect: when the app
 * starts, every provider method carrying one is replaced, on that provider's
 * instance, by a wrapper that records to this app's recorder. Wrapping the
 * instance (not the class) keeps two apps in one process (tests) apart.
 * Controllers are left alone: their routes are bound before this runs.
 */
@Injectable()
export class MetricsInstrumentation implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly recorder: MetricsRecorder,
    private readonly clock: Clock,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  onModuleInit(): void {
    if (!this.config.enabled) return;
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!wrapper.isDependencyTreeStatic() || typeof instance !== 'object' || instance === null) continue;
      for (const name of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
        this.instrument(instance as Record<string, unknown>, name);
      }
    }
  }

  private instrument(instance: Record<string, unknown>, name: string): void {
    const method = instance[name];
    if (typeof method !== 'function') return;
    const original = method.bind(instance) as AsyncMethod;
    if (this.reflector.get<boolean | undefined>(TRACK_AGENT_RUN, method)) {
      instance[name] = this.trackingAgentRuns(original);
    }
    const api = this.reflector.get<string | undefined>(TRACK_EXTERNAL_CALL, method);
    if (api !== undefined) instance[name] = this.trackingExternalCalls(original, api);
  }

  private trackingAgentRuns(original: AsyncMethod): AsyncMethod {
    return async (...args) => {
      const calledAt = this.clock.now();
      const started = performance.now();
      const run = (await original(...args)) as TrackedAgentRun;
      this.recorder.recordAgentRun({
        agentId: run.agentId,
        startedAt: run.startedAt ?? calledAt,
        durationMs: run.durationMs ?? performance.now() - started,
        findings: run.findings ?? 0,
        success: run.success ?? true,
      });
      return run;
    };
  }

  private trackingExternalCalls(original: AsyncMethod, api: string): AsyncMethod {
    return async (...args) => {
      const started = performance.now();
      try {
        const result = await original(...args);
        this.recorder.recordExternalCallInBackground({
          api,
          durationMs: performance.now() - started,
          ...outcomeOfResult(result),
        });
        return result;
      } catch (error) {
        this.recorder.recordExternalCallInBackground({
          api,
          durationMs: performance.now() - started,
          ...outcomeOfError(error),
        });
        throw error;
      }
    };
  }
}
