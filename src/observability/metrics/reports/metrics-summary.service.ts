import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ApiCostDayDto, MetricsSummaryDto, RequestCountsDto, RouteStatsDto } from '../dto/metrics-summary.dto';
import { EXTERNAL_API_CALL_METRICS, HTTP_REQUEST_METRICS } from '../store/metrics-store';
import { round } from './round.util';
import type { BoundedTimeRange } from './time-range';

const SLOWEST_ROUTES = 10;

interface RouteRow {
  method: string;
  route: string;
  recorded: string;
  requests: number;
  errors: number;
  server_errors: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

interface ApiCostRow {
  day: string;
  api: string;
  calls: string;
  failed: string;
  cost: string;
  avg_ms: number;
}

/**
 * Request and API-cost figures over a time range, from the stored records.
 * Request records are a weighted sample, so counts are sums of weights and
 * percentiles are weighted nearest-rank: the smallest duration at which the
 * running weight reaches p% of the route's total weight.
 */
@Injectable()
export class MetricsSummaryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async summary(range: BoundedTimeRange): Promise<MetricsSummaryDto> {
    const [routes, apiCostPerDay] = await Promise.all([this.routes(range), this.apiCostPerDay(range)]);
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      totals: totalsOf(routes),
      routes,
      slowestRoutes: [...routes].sort((a, b) => b.p95Ms - a.p95Ms).slice(0, SLOWEST_ROUTES),
      apiCostPerDay,
    };
  }

  private async routes(range: BoundedTimeRange): Promise<RouteStatsDto[]> {
    const rows = await this.dataSource.query<RouteRow[]>(
      `WITH ranked AS (
         SELECT method, route, status_code, duration_ms, weight::float8 AS weight,
                sum(weight::float8) OVER (PARTITION BY method, route ORDER BY duration_ms
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
                sum(weight::float8) OVER (PARTITION BY method, route) AS total
           FROM ${HTTP_REQUEST_METRICS}
          WHERE recorded_at >= $1 AND recorded_at < $2)
       SELECT method, route, count(*) AS recorded, sum(weight) AS requests,
              coalesce(sum(weight) FILTER (WHERE status_code >= 400), 0) AS errors,
              coalesce(sum(weight) FILTER (WHERE status_code >= 500), 0) AS server_errors,
              min(duration_ms) FILTER (WHERE running >= 0.50 * total) AS p50_ms,
              min(duration_ms) FILTER (WHERE running >= 0.95 * total) AS p95_ms,
              min(duration_ms) FILTER (WHERE running >= 0.99 * total) AS p99_ms
         FROM ranked
        GROUP BY method, route
        ORDER BY requests DESC, route, method`,
      [range.from, range.to],
    );
    return rows.map((row) => ({
      method: row.method,
      route: row.route,
      ...counts(row.requests, row.errors, row.server_errors, Number(row.recorded)),
      p50Ms: round(row.p50_ms, 2),
      p95Ms: round(row.p95_ms, 2),
      p99Ms: round(row.p99_ms, 2),
    }));
  }

  private async apiCostPerDay(range: BoundedTimeRange): Promise<ApiCostDayDto[]> {
    const rows = await this.dataSource.query<ApiCostRow[]>(
      `SELECT to_char(date_trunc('day', recorded_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, api,
              count(*) AS calls, count(*) FILTER (WHERE NOT success) AS failed,
              sum(cost)::text AS cost, avg(duration_ms) AS avg_ms
         FROM ${EXTERNAL_API_CALL_METRICS}
        WHERE recorded_at >= $1 AND recorded_at < $2
        GROUP BY 1, 2
        ORDER BY 1, 2`,
      [range.from, range.to],
    );
    return rows.map((row) => ({
      day: row.day,
      api: row.api,
      calls: Number(row.calls),
      failedCalls: Number(row.failed),
      cost: Number(row.cost),
      avgDurationMs: round(row.avg_ms, 2),
    }));
  }
}

type RequestCounts = Pick<RequestCountsDto, keyof RequestCountsDto>;

/** Weighted sums round to whole requests; rates are taken before rounding. */
function counts(requests: number, errors: number, serverErrors: number, recorded: number): RequestCounts {
  return {
    requests: Math.round(requests),
    errors: Math.round(errors),
    errorRate: requests > 0 ? round(errors / requests, 4) : 0,
    serverErrors: Math.round(serverErrors),
    serverErrorRate: requests > 0 ? round(serverErrors / requests, 4) : 0,
    recorded,
  };
}

function totalsOf(routes: RouteStatsDto[]): RequestCounts {
  // Rounded per-route counts add up to the total the routes show; the rates follow from them.
  const sum = (pick: (route: RouteStatsDto) => number): number => routes.reduce((total, r) => total + pick(r), 0);
  return counts(
    sum((r) => r.requests),
    sum((r) => r.errors),
    sum((r) => r.serverErrors),
    sum((r) => r.recorded),
  );
}
