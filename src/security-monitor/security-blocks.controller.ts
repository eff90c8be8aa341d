import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { Authenticated } from '../access/decorators/authenticated.decorator';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../audit/decorators/audit.decorator';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Clock } from '../common/clock/clock';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../common/pagination/paginated';
import { Permission } from '../rbac/permission';
import { BlocksService } from './blocks/blocks.service';
import { BlockDto, CreateBlockDto, ListBlocksQueryDto } from './dto/block.dto';
import { RecordIdParamDto } from './dto/record-id-param.dto';

@ApiTags('security')
@Authenticated({ permissions: [Permission.SecurityRead] })
@Controller('security/blocks')
export class SecurityBlocksController {
  constructor(
    private readonly blocks: BlocksService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Audit('security.blocks.list', { resource: 'security-block' })
  @ApiOperation({ summary: 'Blocks in force (or all, with active=false), newest first, with the time left.' })
  @ApiPageResponse(BlockDto)
  @ApiErrorResponses(400)
  async list(@Query() query: ListBlocksQueryDto): Promise<PageDto<BlockDto>> {
    const now = this.clock.now();
    return mapPage(await this.blocks.list(query), (row) => BlockDto.from(row, now));
  }

  @Post()
  @Authenticated({ permissions: [Permission.SecurityManage] })
  @Audit('security.blocks.create', { resource: 'security-block' })
  @ApiOperation({
    summary: 'Block an address or network for a time, on every instance; an allowlisted one is refused (409).',
  })
  @ApiCreatedResponse({ type: BlockDto })
  @ApiErrorResponses(400, 409)
  async create(@CurrentUser() caller: AuthenticatedUser, @Body() body: CreateBlockDto): Promise<BlockDto> {
    return BlockDto.from(await this.blocks.create(caller, body), this.clock.now());
  }

  @Delete(':id')
  @Authenticated({ permissions: [Permission.SecurityManage] })
  @Audit('security.blocks.lift', { resource: 'security-block', idParam: 'id' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Lift a block now, on every instance.' })
  @ApiErrorResponses(400, 404)
  async lift(@CurrentUser() caller: AuthenticatedUser, @Param() params: RecordIdParamDto): Promise<void> {
    await this.blocks.lift(caller, params.id);
  }
}
