import { Controller, Get, Query } from '@nestjs/common';
import { Authenticated } from '../../access/decorators/authenticated.decorator';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../../common/pagination/paginated';
import { Permission } from '../../rbac/permission';
import { ListLogsQueryDto, LogEntryDto } from './dto/log-query.dto';
import { LogsService } from './logs.service';
import { Audit } from '../../audit/decorators/audit.decorator';

@ApiTags('logs')
@Controller('logs')
export class LogsController {
  constructor(private readonly logs: LogsService) {}

  @Get()
  @Audit('logs.list')
  @Authenticated({ permissions: [Permission.LogsRead] })
  @ApiOperation({
    summary:
      'Stored log entries (LOG_STORE_LEVEL and above), newest first, filtered by level, module, trace, time, text.',
  })
  @ApiPageResponse(LogEntryDto)
  @ApiErrorResponses(400)
  async list(@Query() query: ListLogsQueryDto): Promise<PageDto<LogEntryDto>> {
    return mapPage(await this.logs.list(query), (row) => LogEntryDto.from(row));
  }
}
