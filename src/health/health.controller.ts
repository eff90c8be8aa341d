import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { NotAudited } from '../audit/decorators/audit.decorator';
import { Public } from '../common/decorators/public.decorator';
import { NoRateLimit } from '../common/rate-limit/rate-limit.decorator';
import { ReadinessIndicator } from './readiness.indicator';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessIndicator,
  ) {}

  @Get('live')
  @NotAudited()
  // Liveness never waits on the counters' store (a database outage must not make probes slow).
  @NoRateLimit()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP.' })
  live(): HealthCheckResult {
    // What terminus answers for no indicators, without its machinery on the route probes hit most.
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  @Get('ready')
  @NotAudited()
  @HealthCheck()
  @ApiOperation({
    summary:
      'Readiness: the database answers and audit rows can be recorded; 503 otherwise, so a balancer routes elsewhere.',
  })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer, or audit rows cannot be recorded.' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.readiness.databaseAnswers(), () => this.readiness.auditRecords()]);
  }
}
