import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { Authenticated } from '../access/decorators/authenticated.decorator';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../audit/decorators/audit.decorator';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../common/pagination/paginated';
import { PaginationQueryDto } from '../common/pagination/pagination-query.dto';
import { TimeRangeQueryDto } from '../common/time-range/time-range-query.dto';
import { Permission } from '../rbac/permission';
import { AccessSummaryService } from './access-summary.service';
import { AlertsService } from './alerts/alerts.service';
import { UserAccessDto } from './dto/access-summary.dto';
import { AlertDto } from './dto/alert.dto';
import { RecordIdParamDto } from './dto/record-id-param.dto';
import {
  ListSecurityEventsQueryDto,
  ReportedEventDto,
  ReportSecurityEventDto,
  ResolveSecurityEventDto,
  SecurityEventDto,
  SecurityStatisticsDto,
  SecuritySummaryRowDto,
  StatisticsQueryDto,
} from './dto/security-event.dto';
import { SecurityEventsService } from './events/security-events.service';

@ApiTags('security')
@Authenticated({ permissions: [Permission.SecurityRead] })
@Controller('security')
export class SecurityEventsController {
  constructor(
    private readonly events: SecurityEventsService,
    private readonly accessSummary: AccessSummaryService,
    private readonly alerts: AlertsService,
  ) {}

  @Post('events')
  @Authenticated({ permissions: [Permission.SecurityManage] })
  @Audit('security.events.report', { resource: 'security-event' })
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: "Report another service's security event (security:manage, or an API key listing it).",
  })
  @ApiAcceptedResponse({ type: ReportedEventDto })
  @ApiErrorResponses(400)
  async report(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: ReportSecurityEventDto,
  ): Promise<ReportedEventDto> {
    await this.events.report(caller, body);
    return { accepted: true };
  }

  @Get('events')
  @Audit('security.events.list', { resource: 'security-event' })
  @ApiOperation({ summary: 'Security events, newest first, filtered.' })
  @ApiPageResponse(SecurityEventDto)
  @ApiErrorResponses(400)
  list(@Query() query: ListSecurityEventsQueryDto): Promise<PageDto<SecurityEventDto>> {
    return this.events.list(query);
  }

  @Post('events/:id/resolve')
  @Authenticated({ permissions: [Permission.SecurityManage] })
  @Audit('security.events.resolve', { resource: 'security-event', idParam: 'id' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Mark an event resolved, with notes.' })
  @ApiOkResponse({ type: SecurityEventDto })
  @ApiErrorResponses(400, 404, 409)
  resolve(
    @CurrentUser() caller: AuthenticatedUser,
    @Param() params: RecordIdParamDto,
    @Body() body: ResolveSecurityEventDto,
  ): Promise<SecurityEventDto> {
    return this.events.resolve(caller, params.id, body.notes);
  }

  @Get('statistics')
  @Audit('security.statistics', { resource: 'security-event' })
  @ApiOperation({ summary: 'Counts by type, severity and day, top ips and users, open vs resolved, time to resolve.' })
  @ApiOkResponse({ type: SecurityStatisticsDto })
  @ApiErrorResponses(400)
  statistics(@Query() query: StatisticsQueryDto): Promise<SecurityStatisticsDto> {
    return this.events.statistics(query.days);
  }

  @Get('summary')
  @Audit('security.summary', { resource: 'security-event' })
  @ApiOperation({ summary: 'Per UTC day, event type and severity: total, open and resolved.' })
  @ApiOkResponse({ type: [SecuritySummaryRowDto] })
  @ApiErrorResponses(400)
  summary(@Query() query: TimeRangeQueryDto): Promise<SecuritySummaryRowDto[]> {
    return this.events.summary(query);
  }

  @Get('access-summary')
  @Audit('security.access-summary', { resource: 'user' })
  @ApiOperation({ summary: 'Every user: role, its permissions, extra grants and when each ends.' })
  @ApiPageResponse(UserAccessDto)
  @ApiErrorResponses(400)
  accessSummaryPage(@Query() query: PaginationQueryDto): Promise<PageDto<UserAccessDto>> {
    return this.accessSummary.summary(query);
  }

  @Get('alerts')
  @Audit('security.alerts.list', { resource: 'security-alert' })
  @ApiOperation({ summary: 'Alerts raised, newest first, each with its deliveries and their attempts.' })
  @ApiPageResponse(AlertDto)
  @ApiErrorResponses(400)
  async listAlerts(@Query() query: PaginationQueryDto): Promise<PageDto<AlertDto>> {
    return mapPage(await this.alerts.list(query), (row) => AlertDto.from(row));
  }
}
