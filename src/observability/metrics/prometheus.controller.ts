import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { API_KEY_AUTH, BEARER_AUTH } from '../../app.setup';
import { Public } from '../../common/decorators/public.decorator';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { MetricsAccessGuard } from './access/metrics-access.guard';
import { PrometheusMetrics } from './prometheus-metrics';
import { Audit } from '../../audit/decorators/audit.decorator';

/** Outside /api/v1, where Prometheus expects it. */
@ApiTags('metrics')
@Controller('metrics')
export class PrometheusController {
  constructor(private readonly prometheus: PrometheusMetrics) {}

  @Get()
  @Audit('metrics.scrape')
  // Public to the global authentication guard only: MetricsAccessGuard decides, and also takes a scrape token.
  @Public()
  @UseGuards(MetricsAccessGuard)
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({
    summary: 'Prometheus metrics, in the text exposition format.',
    description:
      'HTTP request durations by method, route template and status; requests in flight; agent runs and ' +
      'external API calls, durations and cost; process and event-loop figures. Scrapers send ' +
      '`Authorization: Bearer <METRICS_SCRAPE_TOKEN>`; otherwise a bearer token or API key with metrics:read.',
  })
  @ApiBearerAuth(BEARER_AUTH)
  @ApiSecurity(API_KEY_AUTH)
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string', example: 'http_requests_in_flight 1' } })
  @ApiErrorResponses(401, 403)
  scrape(): Promise<string> {
    return this.prometheus.render();
  }
}
