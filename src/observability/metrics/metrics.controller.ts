import { Body, Controller, Get, Header, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Authenticated } from '../../access/decorators/authenticated.decorator';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { Permission } from '../../rbac/permission';
import { AgentPerformanceDto } from './dto/agent-performance.dto';
import { ExternalApiCallDto, ReportApiCallDto } from './dto/api-call.dto';
import { MetricsRangeQueryDto } from './dto/metrics-range.dto';
import { MetricsExportDto, MetricsSummaryDto } from './dto/metrics-summary.dto';
import { RequestTimeseriesDto, RequestTimeseriesQueryDto } from './dto/request-timeseries.dto';
import { MetricsReportsService } from './reports/metrics-reports.service';
import { Audit } from '../../audit/decorators/audit.decorator';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('metrics')
@Authenticated({ permissions: [Permission.MetricsRead] })
@Controller('metrics')
export class MetricsController {
  constructor(private readonly reports: MetricsReportsService) {}

  @Get('agents')
  @Audit('metrics.agents')
  @ApiOperation({
    summary: 'Agent leaderboard: every agent with runs in the range, best efficiency score first.',
    description: 'Runs are counted by their start time; without from/to, every run still kept.',
  })
  @ApiOkResponse({ type: [AgentPerformanceDto] })
  @ApiErrorResponses(400)
  agents(@Query() query: MetricsRangeQueryDto): Promise<AgentPerformanceDto[]> {
    return this.reports.agentLeaderboard(query);
  }

  @Get('agents/:id')
  @Audit('metrics.agent', { resource: 'agent', idParam: 'id' })
  @ApiOperation({ summary: "One agent's performance; an agent without runs in the range has runs = 0." })
  @ApiOkResponse({ type: AgentPerformanceDto })
  @ApiErrorResponses(400, 404)
  agent(@Param('id', uuid) id: string, @Query() query: MetricsRangeQueryDto): Promise<AgentPerformanceDto> {
    return this.reports.agentPerformance(id, query);
  }

  @Get('summary')
  @Audit('metrics.summary')
  @ApiOperation({
    summary: 'Requests, error rates and latency percentiles per route, the slowest routes, API cost per API per day.',
  })
  @ApiOkResponse({ type: MetricsSummaryDto })
  @ApiErrorResponses(400)
  summary(@Query() query: MetricsRangeQueryDto): Promise<MetricsSummaryDto> {
    return this.reports.summary(query);
  }

  @Get('timeseries')
  @Audit('metrics.timeseries')
  @ApiOperation({
    summary: 'Requests, errors and p50/p95/p99 latency per time bucket (default: the last 24 hours, 60 s buckets).',
    description: 'From the sampled request records; counts are weighted, so they estimate every request.',
  })
  @ApiOkResponse({ type: RequestTimeseriesDto })
  @ApiErrorResponses(400)
  timeseries(@Query() query: RequestTimeseriesQueryDto): Promise<RequestTimeseriesDto> {
    return this.reports.requestTimeseries(query);
  }

  @Get('export')
  @Audit('metrics.export')
  @ApiOperation({ summary: 'The summary and agent performance over the range, as a JSON file to download.' })
  @ApiProduces('application/json')
  @Header('Content-Disposition', 'attachment; filename="sentinel-metrics.json"')
  @ApiOkResponse({ type: MetricsExportDto })
  @ApiErrorResponses(400)
  export(@Query() query: MetricsRangeQueryDto): Promise<MetricsExportDto> {
    return this.reports.export(query);
  }

  @Post('api-calls')
  @Audit('metrics.api-calls.report')
  @Authenticated({ permissions: [Permission.AgentsManage] })
  @ApiOperation({
    summary: 'Report one call an agent made to a paid external API.',
    description:
      'Needs agents:manage, the permission agents (or their runners) already hold to record their runs. ' +
      "Without cost, the call costs the matching API toggle's costPerCall (0 without a toggle).",
  })
  @ApiCreatedResponse({ type: ExternalApiCallDto })
  @ApiErrorResponses(400)
  reportApiCall(@Body() body: ReportApiCallDto): Promise<ExternalApiCallDto> {
    return this.reports.reportApiCall(body);
  }
}
