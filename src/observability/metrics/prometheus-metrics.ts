import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AuditTrail } from '../../audit/audit-trail.service';
import { AppendStore } from '../../database/append-store/append-store.service';
import { ClusterMetricsClient, isClusterWorker } from '../../cluster/cluster-metrics';
import { PartitionMaintenanceService } from '../../database/partition-maintenance.service';

export type Outcome = 'success' | 'failure';

/** Seconds: from a fast API read up to a request that hits the server's own timeouts. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: agent runs and paid API calls take from a fraction of a second to many minutes. */
const LONG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * The Prometheus metrics of one application instance. The registry is this
 * provider's own, never prom-client's process-wide default: two apps in one
 * process (tests, a benchmark) must not share or re-register series.
 */
@Injectable()
export class PrometheusMetrics {
  readonly registry = new Registry();
  /** With WORKERS > 1 a scrape answers for the whole port: the primary sums every worker's series. */
  private readonly cluster = isClusterWorker() ? new ClusterMetricsClient(this.registry) : undefined;

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code, and how long they took',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly httpRequestsInFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests received and not yet answered',
    registers: [this.registry],
  });

  readonly agentRuns = new Counter({
    name: 'agent_runs_total',
    help: 'Agent runs recorded, by agent id and outcome',
    labelNames: ['agent_id', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly agentRunDuration = new Histogram({
    name: 'agent_run_duration_seconds',
    help: 'How long agent runs took, by agent id and outcome',
    labelNames: ['agent_id', 'outcome'] as const,
    buckets: LONG_BUCKETS,
    registers: [this.registry],
  });

  readonly externalApiCalls = new Counter({
    name: 'external_api_calls_total',
    help: 'Calls to paid external APIs, by API and outcome',
    labelNames: ['api', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly externalApiCallDuration = new Histogram({
    name: 'external_api_call_duration_seconds',
    help: 'How long calls to paid external APIs took, by API and outcome',
    labelNames: ['api', 'outcome'] as const,
    buckets: LONG_BUCKETS,
    registers: [this.registry],
  });

  readonly externalApiCost = new Counter({
    name: 'external_api_cost_total',
    help: 'What calls to paid external APIs cost, in the platform currency, by API',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });

  constructor(appendStore: AppendStore, partitions: PartitionMaintenanceService, audit: AuditTrail) {
    // Process CPU, memory, handles, GC and event-loop lag (read from perf_hooks at scrape time, no timer).
    collectDefaultMetrics({ register: this.registry });
    this.registerStoreMetrics(appendStore, partitions, audit);
  }

  /** Read at scrape time from the writers themselves: every row lost, for whatever reason, is counted here. */
  private registerStoreMetrics(
    appendStore: AppendStore,
    partitions: PartitionMaintenanceService,
    audit: AuditTrail,
  ): void {
    const registers = [this.registry];
    new Counter({
      name: 'append_store_rows_lost_total',
      help: 'Append-only rows not stored, by queue and reason (dropped: buffer full; refused: the database refused the row)',
      labelNames: ['queue', 'reason'] as const,
      registers,
      collect() {
        this.reset();
        for (const { name, stats } of appendStore.stats()) {
          this.inc({ queue: name, reason: 'dropped' }, stats.dropped);
          this.inc({ queue: name, reason: 'refused' }, stats.refused);
        }
      },
    });
    new Gauge({
      name: 'append_store_rows_queued',
      help: 'Append-only rows waiting for the database, by queue',
      labelNames: ['queue'] as const,
      registers,
      collect() {
        for (const { name, stats } of appendStore.stats()) this.set({ queue: name }, stats.queued);
      },
    });
    new Gauge({
      name: 'partition_default_rows',
      help: "Rows waiting in a partitioned table's DEFAULT partition for their month's partition, at the last upkeep",
      labelNames: ['table'] as const,
      // A count of the database's rows, the same in every worker: summing would multiply it.
      aggregator: 'max',
      registers,
      collect() {
        for (const [table, count] of partitions.stats.strays) this.set({ table }, count);
      },
    });
    new Counter({
      name: 'audit_records_lost_total',
      help: 'Audit rows AUDIT_FAIL_MODE=open let go because they could not be written with their change',
      registers,
      collect() {
        this.reset();
        this.inc(audit.stats.lost);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.cluster ? this.cluster.render() : this.registry.metrics();
  }
}
