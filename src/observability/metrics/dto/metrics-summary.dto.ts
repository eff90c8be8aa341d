import { ApiProperty } from '@nestjs/swagger';
import { AgentPerformanceDto } from './agent-performance.dto';

const ESTIMATE =
  'Estimated from the stored sample: each record counts for 1 / METRICS_SAMPLE_RATE requests, errors and slow ' +
  'requests (always kept) for 1.';

export class RequestCountsDto {
  @ApiProperty({ description: `Requests. ${ESTIMATE}` })
  requests!: number;

  @ApiProperty({ description: 'Responses with status 400 or more (client and server errors).' })
  errors!: number;

  @ApiProperty({ description: 'errors / requests, from 0 to 1.' })
  errorRate!: number;

  @ApiProperty({ description: 'Responses with status 500 or more.' })
  serverErrors!: number;

  @ApiProperty({ description: 'serverErrors / requests, from 0 to 1.' })
  serverErrorRate!: number;

  @ApiProperty({ description: 'Stored records the figures come from.' })
  recorded!: number;
}

export class RouteStatsDto extends RequestCountsDto {
  @ApiProperty({ example: 'GET' })
  method!: string;

  @ApiProperty({ example: '/api/v1/agents/:id', description: 'Route template; `unmatched` for unknown paths.' })
  route!: string;

  @ApiProperty({ description: 'Median duration: nearest rank, each record weighted as it counts.' })
  p50Ms!: number;

  @ApiProperty({ description: '95th percentile duration (nearest rank, weighted).' })
  p95Ms!: number;

  @ApiProperty({ description: '99th percentile duration (nearest rank, weighted).' })
  p99Ms!: number;
}

export class ApiCostDayDto {
  @ApiProperty({ example: '2026-11-23', description: 'UTC day.' })
  day!: string;

  @ApiProperty({ example: 'openai' })
  api!: string;

  @ApiProperty()
  calls!: number;

  @ApiProperty()
  failedCalls!: number;

  @ApiProperty({ example: 0.042, description: 'Sum of the calls’ costs, in the platform currency.' })
  cost!: number;

  @ApiProperty()
  avgDurationMs!: number;
}

export class MetricsSummaryDto {
  @ApiProperty({ format: 'date-time', description: 'Start of the range (inclusive); default: 24 hours before `to`.' })
  from!: string;

  @ApiProperty({ format: 'date-time', description: 'End of the range (exclusive); default: now.' })
  to!: string;

  @ApiProperty({ type: RequestCountsDto, description: 'Every route together.' })
  totals!: RequestCountsDto;

  @ApiProperty({ type: [RouteStatsDto], description: 'Per method and route template, most requested first.' })
  routes!: RouteStatsDto[];

  @ApiProperty({ type: [RouteStatsDto], description: 'The ten routes with the highest p95 duration.' })
  slowestRoutes!: RouteStatsDto[];

  @ApiProperty({ type: [ApiCostDayDto], description: 'Calls and cost per external API per UTC day.' })
  apiCostPerDay!: ApiCostDayDto[];
}

export class MetricsExportDto extends MetricsSummaryDto {
  @ApiProperty({ format: 'date-time' })
  exportedAt!: string;

  @ApiProperty({ type: [AgentPerformanceDto], description: 'Agent performance over the same range.' })
  agents!: AgentPerformanceDto[];
}
