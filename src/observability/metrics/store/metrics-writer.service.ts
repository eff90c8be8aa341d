import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { metricsConfig } from '../../../config';
import { PrometheusMetrics } from '../prometheus-metrics';
import { BatchQueue } from './batch-queue';
import type { AgentRunRecord, ExternalApiCallRecord, HttpRequestRecord } from './metric-records';
import { MetricsStore } from './metrics-store';

const RETRY_DELAY_MS = 1000;
/** Metrics are statistics: after this many failed tries a batch is given up (and counted), not retried forever. */
const MAX_ATTEMPTS = 5;

/** Batched, bounded writes of every kind of stored metric record; nothing here is awaited by a request. */
@Injectable()
export class MetricsWriter implements OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private readonly httpRequests: BatchQueue<HttpRequestRecord>;
  private readonly agentRuns: BatchQueue<AgentRunRecord>;
  private readonly externalApiCalls: BatchQueue<ExternalApiCallRecord>;

  constructor(
    store: MetricsStore,
    private readonly prometheus: PrometheusMetrics,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {
    this.httpRequests = this.queue('http_request', (batch) => store.insertHttpRequests(batch));
    this.agentRuns = this.queue('agent_run', (batch) => store.insertAgentRuns(batch));
    this.externalApiCalls = this.queue('external_api_call', (batch) => store.insertExternalApiCalls(batch));
  }

  addHttpRequest(record: HttpRequestRecord): void {
    this.httpRequests.push(record);
  }

  addAgentRun(record: AgentRunRecord): void {
    this.agentRuns.push(record);
  }

  addExternalApiCall(record: ExternalApiCallRecord): void {
    this.externalApiCalls.push(record);
  }

  /** Writes everything queued; used at shutdown and by tests. */
  async flush(): Promise<void> {
    await Promise.all([this.httpRequests.flush(), this.agentRuns.flush(), this.externalApiCalls.flush()]);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.httpRequests.close(), this.agentRuns.close(), this.externalApiCalls.close()]);
  }

  private queue<T>(kind: string, write: (batch: T[]) => Promise<void>): BatchQueue<T> {
    return new BatchQueue<T>({
      bufferMax: this.config.bufferMax,
      batchMax: this.config.batchMax,
      flushIntervalMs: this.config.flushIntervalMs,
      retryDelayMs: RETRY_DELAY_MS,
      maxAttempts: MAX_ATTEMPTS,
      write,
      onDrop: (count, error) => {
        this.prometheus.recordsDropped.inc({ kind }, count);
        // A drop for space is counted only; a batch the database kept refusing is worth a log line.
        if (error !== undefined) {
          const reason = error instanceof Error ? error.message : 'unknown error';
          this.logger.warn(`${count} ${kind} metric records given up: ${reason}`);
        }
      },
    });
  }
}
