import { Body, Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../audit/decorators/audit.decorator';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Authenticated } from '../access/decorators/authenticated.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Clock } from '../common/clock/clock';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../common/pagination/paginated';
import { PaginationQueryDto } from '../common/pagination/pagination-query.dto';
import { Permission } from '../rbac/permission';
import { CreateRestoreDto, RestoreDto } from './dto/restore.dto';
import { RestoreService } from './restore.service';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('backups')
@Authenticated({ permissions: [Permission.BackupsManage], interactiveOnly: true })
@Controller('restores')
export class RestoreController {
  constructor(
    private readonly restores: RestoreService,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @Audit('restore.start', { resource: 'restore' })
  @ApiOperation({
    summary: 'Restore a backup in one transaction (or a dry run); answers at once with the running restore.',
    description:
      'Replaces the chosen tables’ data (all by default) by truncate and COPY, checks constraints, resets sequences; ' +
      'audit evidence is merged. Any error, checksum mismatch or cancel rolls everything back. ' +
      'Refused when the backup is from a newer schema.',
  })
  @ApiAcceptedResponse({ type: RestoreDto })
  @ApiErrorResponses(400, 404, 409)
  async create(@CurrentUser() caller: AuthenticatedUser, @Body() body: CreateRestoreDto): Promise<RestoreDto> {
    const record = await this.restores.start({
      backupId: body.backupId,
      dryRun: body.dryRun,
      pointInTime: body.pointInTime === undefined ? undefined : new Date(body.pointInTime),
      tables: body.tables,
      replaceAuditTrail: body.replaceAuditTrail,
      initiator: { kind: 'user', userId: caller.id },
    });
    return RestoreDto.from(record, this.clock.now());
  }

  @Get()
  @Audit('restore.list', { resource: 'restore' })
  @ApiOperation({ summary: 'Restore operations, newest first, with status and progress.' })
  @ApiPageResponse(RestoreDto)
  @ApiErrorResponses(400)
  async list(@Query() query: PaginationQueryDto): Promise<PageDto<RestoreDto>> {
    const now = this.clock.now();
    return mapPage(await this.restores.list(query), (record) => RestoreDto.from(record, now));
  }

  @Get(':id')
  @Audit('restore.read', { resource: 'restore', idParam: 'id' })
  @ApiOperation({
    summary: 'One restore: status, progress (tables, rows and bytes done of total, time left) and report.',
  })
  @ApiOkResponse({ type: RestoreDto })
  @ApiErrorResponses(400, 404)
  async get(@Param('id', uuid) id: string): Promise<RestoreDto> {
    return RestoreDto.from(await this.restores.get(id), this.clock.now());
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  @Audit('restore.cancel', { resource: 'restore', idParam: 'id' })
  @ApiOperation({ summary: 'Cancel a running restore: it rolls back and leaves every table as it was.' })
  @ApiOkResponse({ type: RestoreDto })
  @ApiErrorResponses(400, 404, 409)
  async cancel(@CurrentUser() caller: AuthenticatedUser, @Param('id', uuid) id: string): Promise<RestoreDto> {
    const record = await this.restores.cancel(id, { kind: 'user', userId: caller.id });
    return RestoreDto.from(record, this.clock.now());
  }
}
