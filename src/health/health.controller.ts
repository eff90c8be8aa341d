import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { NotAudited } from '../audit/decorators/audit.decorator';
import { Public } from '../common/decorators/public.decorator';
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
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP.' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
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
