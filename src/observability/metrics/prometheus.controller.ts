import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { Authenticated } from '../../access/decorators/authenticated.decorator';
import { Permission } from '../../rbac/permission';
import { PrometheusMetrics } from './prometheus-metrics';
import { Audit } from '../../audit/decorators/audit.decorator';

/** Outside /api/v1, where Prometheus expects it. */
@ApiTags('metrics')
@Controller('metrics')
export class PrometheusController {
  constructor(private readonly prometheus: PrometheusMetrics) {}

  @Get()
  @Audit('metrics.scrape')
  @Authenticated({ permissions: [Permission.MetricsRead], acceptsScrapeToken: true })
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({
    summary: 'Prometheus metrics, in the text exposition format.',
    description:
      'HTTP request durations by method, route template and status; requests in flight; agent runs and ' +
      'external API calls, durations and cost; process and event-loop figures. Scrapers send ' +
      '`Authorization: Bearer <METRICS_SCRAPE_TOKEN>`; otherwise a bearer token or API key with metrics:read.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string', example: 'http_requests_in_flight 1' } })
  scrape(): Promise<string> {
    return this.prometheus.render();
  }
}
