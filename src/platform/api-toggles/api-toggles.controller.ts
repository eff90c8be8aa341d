import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { Authenticated } from '../../access/decorators/authenticated.decorator';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/decorators/current-user.decorator';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../../common/pagination/paginated';
import { Permission } from '../../rbac/permission';
import { ResourceType } from '../../rbac/resource-scope';
import { ApiTogglesService } from './api-toggles.service';
import { ApiToggleDto, CreateApiToggleDto, ListApiTogglesQueryDto, UpdateApiToggleDto } from './dto/api-toggle.dto';
import { Audit } from '../../audit/decorators/audit.decorator';

const uuid = new ParseUUIDPipe({ version: '4' });
const thisToggle = { resourceType: ResourceType.ApiToggle, idParam: 'id' };

@ApiTags('api-toggles')
@Controller('api-toggles')
export class ApiTogglesController {
  constructor(private readonly toggles: ApiTogglesService) {}

  @Post()
  @Audit('api-toggles.create', { resource: 'api-toggle' })
  @Authenticated({ permissions: [Permission.ApiTogglesWrite] })
  @ApiOperation({ summary: 'Register a paid external API.' })
  @ApiCreatedResponse({ type: ApiToggleDto })
  @ApiErrorResponses(400, 409)
  async create(@CurrentUser() actor: AuthenticatedUser, @Body() body: CreateApiToggleDto): Promise<ApiToggleDto> {
    return ApiToggleDto.from(await this.toggles.create(actor.id, body));
  }

  @Get()
  @Audit('api-toggles.list', { resource: 'api-toggle' })
  @ApiOperation({ summary: 'External-API toggles by name, with their cost per call.' })
  @Authenticated({ permissions: [Permission.ApiTogglesRead] })
  @ApiPageResponse(ApiToggleDto)
  @ApiErrorResponses(400)
  async list(@Query() query: ListApiTogglesQueryDto): Promise<PageDto<ApiToggleDto>> {
    return mapPage(await this.toggles.list(query), (item) => ApiToggleDto.from(item));
  }

  @Get(':id')
  @Audit('api-toggles.get')
  @ApiOperation({ summary: 'One external-API toggle.' })
  @Authenticated({ permissions: [Permission.ApiTogglesRead], scope: thisToggle })
  @ApiOkResponse({ type: ApiToggleDto })
  @ApiErrorResponses(400, 404)
  async get(@Param('id', uuid) id: string): Promise<ApiToggleDto> {
    return ApiToggleDto.from(await this.toggles.get(id));
  }

  @Patch(':id')
  @Audit('api-toggles.update')
  @Authenticated({ permissions: [Permission.ApiTogglesWrite], scope: thisToggle })
  @ApiOperation({ summary: 'Switch an external API on or off, or change its description or price.' })
  @ApiOkResponse({ type: ApiToggleDto })
  @ApiErrorResponses(400, 404)
  async update(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Body() body: UpdateApiToggleDto,
  ): Promise<ApiToggleDto> {
    return ApiToggleDto.from(await this.toggles.update(actor.id, id, body));
  }
}
