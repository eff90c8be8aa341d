import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RequestBucketDto, RequestTimeseriesDto } from '../dto/request-timeseries.dto';
import { HTTP_REQUEST_METRICS } from '../store/metrics-store';
import { MetricsException, MetricsErrorCode } from '../metrics.exception';
import { round } from './round.util';
import type { BoundedTimeRange } from './time-range';

/** More buckets than a chart can show are refused rather than computed. */
const MAX_BUCKETS = 2000;

interface BucketRow {
  bucket: string;
  requests: number;
  errors: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/**
 * Requests, errors and latency percentiles per time bucket, from the sampled
 * request records: counts are sums of weights, percentiles weighted
 * nearest-rank, as in the summary. Feeds the dashboard's charts.
 */
@Injectable()
export class RequestTimeseriesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async series(range: BoundedTimeRange, bucketSeconds: number): Promise<RequestTimeseriesDto> {
    const bucketMs = bucketSeconds * 1000;
    const first = Math.floor(range.from.getTime() / bucketMs);
    const last = Math.ceil(range.to.getTime() / bucketMs);
    if (last - first > MAX_BUCKETS) throw new MetricsException(MetricsErrorCode.TooManyBuckets);
    const rows = await this.dataSource.query<BucketRow[]>(
      `WITH ranked AS (
         SELECT floor(extract(epoch FROM recorded_at) / $3)::bigint AS bucket, status_code, duration_ms,
                weight::float8 AS weight,
                sum(weight::float8) OVER (PARTITION BY floor(extract(epoch FROM recorded_at) / $3) ORDER BY duration_ms
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
                sum(weight::float8) OVER (PARTITION BY floor(extract(epoch FROM recorded_at) / $3)) AS total
           FROM ${HTTP_REQUEST_METRICS}
          WHERE recorded_at >= $1 AND recorded_at < $2)
       SELECT bucket::text, sum(weight) AS requests, coalesce(sum(weight) FILTER (WHERE status_code >= 400), 0) AS errors,
              min(duration_ms) FILTER (WHERE running >= 0.50 * total) AS p50_ms,
              min(duration_ms) FILTER (WHERE running >= 0.95 * total) AS p95_ms,
              min(duration_ms) FILTER (WHERE running >= 0.99 * total) AS p99_ms
         FROM ranked GROUP BY bucket`,
      [range.from, range.to, bucketSeconds],
    );
    const byBucket = new Map(rows.map((row) => [Number(row.bucket), row]));
    const buckets: RequestBucketDto[] = [];
    for (let bucket = first; bucket < last; bucket++) buckets.push(toDto(bucket * bucketMs, byBucket.get(bucket)));
    return { from: range.from.toISOString(), to: range.to.toISOString(), bucketSeconds, buckets };
  }
}

function toDto(startMs: number, row: BucketRow | undefined): RequestBucketDto {
  return {
    start: new Date(startMs).toISOString(),
    requests: row ? Math.round(row.requests) : 0,
    errors: row ? Math.round(row.errors) : 0,
    p50Ms: milliseconds(row?.p50_ms),
    p95Ms: milliseconds(row?.p95_ms),
    p99Ms: milliseconds(row?.p99_ms),
  };
}

function milliseconds(value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : round(value, 2);
}
