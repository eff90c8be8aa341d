import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { NotAudited } from '../audit/decorators/audit.decorator';
import { Public } from '../common/decorators/public.decorator';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
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
  @ApiOperation({ summary: 'Readiness: the database answers. 503 otherwise, so a load balancer routes elsewhere.' })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer.' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 2000 })]);
  }
}
