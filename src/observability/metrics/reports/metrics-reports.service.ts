import { Injectable } from '@nestjs/common';
import { Clock } from '../../../common/clock/clock';
import type { AgentPerformanceDto } from '../dto/agent-performance.dto';
import { ExternalApiCallDto, type ReportApiCallDto } from '../dto/api-call.dto';
import type { MetricsRangeQueryDto } from '../dto/metrics-range.dto';
import type { MetricsExportDto, MetricsSummaryDto } from '../dto/metrics-summary.dto';
import type { RequestTimeseriesDto, RequestTimeseriesQueryDto } from '../dto/request-timeseries.dto';
import { MetricsRecorder } from '../metrics-recorder.service';
import { AgentPerformanceService } from './agent-performance.service';
import { MetricsSummaryService } from './metrics-summary.service';
import { RequestTimeseriesService } from './request-timeseries.service';
import { boundedRange, openRange } from './time-range';

/** What the metrics API answers: agent performance, the request and cost summary, its export, reported calls. */
@Injectable()
export class MetricsReportsService {
  constructor(
    private readonly agents: AgentPerformanceService,
    private readonly summaries: MetricsSummaryService,
    private readonly timeseries: RequestTimeseriesService,
    private readonly recorder: MetricsRecorder,
    private readonly clock: Clock,
  ) {}

  agentLeaderboard(query: MetricsRangeQueryDto): Promise<AgentPerformanceDto[]> {
    return this.agents.list(openRange(query));
  }

  agentPerformance(agentId: string, query: MetricsRangeQueryDto): Promise<AgentPerformanceDto> {
    return this.agents.get(agentId, openRange(query));
  }

  summary(query: MetricsRangeQueryDto): Promise<MetricsSummaryDto> {
    return this.summaries.summary(boundedRange(query, this.clock.now()));
  }

  requestTimeseries(query: RequestTimeseriesQueryDto): Promise<RequestTimeseriesDto> {
    return this.timeseries.series(boundedRange(query, this.clock.now()), query.bucketSeconds);
  }

  /** The summary plus agent performance over the same range, as one document. */
  async export(query: MetricsRangeQueryDto): Promise<MetricsExportDto> {
    const range = boundedRange(query, this.clock.now());
    const [summary, agents] = await Promise.all([this.summaries.summary(range), this.agents.list(range)]);
    return Object.assign({ exportedAt: this.clock.now().toISOString() }, summary, { agents });
  }

  async reportApiCall(report: ReportApiCallDto): Promise<ExternalApiCallDto> {
    const record = await this.recorder.recordExternalCall({
      api: report.api,
      durationMs: report.durationMs,
      statusCode: report.status === 0 ? null : report.status,
      success: report.success ?? (report.status >= 100 && report.status < 400),
      cost: report.cost,
    });
    return ExternalApiCallDto.from(record);
  }
}
