import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { metricsConfig } from '../../../config';
import type { AppendQueue } from '../../../database/append-store/append-queue';
import { AppendStore } from '../../../database/append-store/append-store.service';
import type { AgentRunRecord, ExternalApiCallRecord, HttpRequestRecord } from './metric-records';
import { AGENT_RUN_METRICS, EXTERNAL_API_CALL_METRICS, HTTP_REQUEST_METRICS, MetricsStore } from './metrics-store';

const RETRY_DELAY_MS = 1000;

/**
 * Batched, bounded writes of every kind of stored metric record through the
 * shared append store; nothing here is awaited by a request. Metrics are
 * statistics: a full buffer drops its oldest record (counted in /metrics).
 */
@Injectable()
export class MetricsWriter implements OnApplicationShutdown {
  private readonly httpRequests: AppendQueue<HttpRequestRecord>;
  private readonly agentRuns: AppendQueue<AgentRunRecord>;
  private readonly externalApiCalls: AppendQueue<ExternalApiCallRecord>;

  constructor(
    metricsStore: MetricsStore,
    private readonly store: AppendStore,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {
    this.httpRequests = this.queue(HTTP_REQUEST_METRICS, (batch) => metricsStore.insertHttpRequests(batch));
    this.agentRuns = this.queue(AGENT_RUN_METRICS, (batch) => metricsStore.insertAgentRuns(batch));
    this.externalApiCalls = this.queue(EXTERNAL_API_CALL_METRICS, (batch) =>
      metricsStore.insertExternalApiCalls(batch),
    );
  }

  addHttpRequest(record: HttpRequestRecord): void {
    void this.httpRequests.push(record);
  }

  addAgentRun(record: AgentRunRecord): void {
    void this.agentRuns.push(record);
  }

  addExternalApiCall(record: ExternalApiCallRecord): void {
    void this.externalApiCalls.push(record);
  }

  /** Writes everything queued; used at shutdown and by tests. */
  async flush(): Promise<void> {
    await Promise.all([this.httpRequests.flush(), this.agentRuns.flush(), this.externalApiCalls.flush()]);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.httpRequests.close(), this.agentRuns.close(), this.externalApiCalls.close()]);
  }

  private queue<T>(table: string, insert: (batch: readonly T[]) => Promise<void>): AppendQueue<T> {
    return this.store.createQueue<T>(
      { name: table, insert },
      {
        bufferMax: this.config.bufferMax,
        batchMax: this.config.batchMax,
        flushIntervalMs: this.config.flushIntervalMs,
        retryDelayMs: RETRY_DELAY_MS,
        whenFull: 'drop-oldest',
      },
    );
  }
}
