import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { ApiTogglesService } from '../../platform/api-toggles/api-toggles.service';
import { BoundedLabels } from './bounded-labels';
import { PrometheusMetrics } from './prometheus-metrics';
import type { ExternalApiCallRecord } from './store/metric-records';
import { MetricsWriter } from './store/metrics-writer.service';

/** Distinct API names kept as labels; callers report names, so their number must be capped. */
const MAX_API_LABELS = 200;

export interface AgentRunReport {
  agentId: string;
  startedAt: Date;
  durationMs: number;
  findings: number;
  success: boolean;
}

export interface ExternalCallReport {
  api: string;
  durationMs: number;
  statusCode: number | null;
  success: boolean;
  /** Absent: the price per call of the API toggle with this name, or 0 when there is none. */
  cost?: number;
}

/**
 * Records agent runs and external API calls, wherever they come from (the
 * tracking decorators, the report endpoint): the Prometheus series at once,
 * and a record for the store, written in a later batch.
 */
@Injectable()
export class MetricsRecorder {
  private readonly logger = new Logger('Metrics');
  private readonly apiLabels = new BoundedLabels(MAX_API_LABELS);
  /** Recordings a caller did not wait for (decorated calls), so flush() can. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly prometheus: PrometheusMetrics,
    private readonly writer: MetricsWriter,
    private readonly toggles: ApiTogglesService,
    private readonly clock: Clock,
  ) {}

  recordAgentRun(run: AgentRunReport): void {
    const labels = { agent_id: run.agentId, outcome: run.success ? 'success' : 'failure' };
    this.prometheus.agentRuns.inc(labels);
    this.prometheus.agentRunDuration.observe(labels, run.durationMs / 1000);
    this.writer.addAgentRun({ recordedAt: this.clock.now(), ...run });
  }

  async recordExternalCall(call: ExternalCallReport): Promise<ExternalApiCallRecord> {
    const cost = call.cost === undefined ? await this.listPrice(call.api) : call.cost.toFixed(6);
    const api = this.apiLabels.label(call.api);
    const outcome = call.success ? 'success' : 'failure';
    this.prometheus.externalApiCalls.inc({ api, outcome });
    this.prometheus.externalApiCallDuration.observe({ api, outcome }, call.durationMs / 1000);
    this.prometheus.externalApiCost.inc({ api }, Number(cost));
    const record: ExternalApiCallRecord = {
      recordedAt: this.clock.now(),
      api: call.api,
      durationMs: call.durationMs,
      statusCode: call.statusCode,
      success: call.success,
      cost,
    };
    this.writer.addExternalApiCall(record);
    return record;
  }

  /** Records a call without making the caller wait for the price lookup; a failure is logged, never thrown. */
  recordExternalCallInBackground(call: ExternalCallReport): void {
    const recording = this.recordExternalCall(call)
      .catch((error: unknown) => {
        this.logger.warn(`call to ${call.api} not recorded: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => this.pending.delete(recording));
    this.pending.add(recording);
  }

  /** Finishes background recordings and writes every queued record; used by tests and at shutdown. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.writer.flush();
  }

  private async listPrice(api: string): Promise<string> {
    return (await this.toggles.costPerCallOf(api)) ?? '0';
  }
}
