import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Authenticated } from '../access/decorators/authenticated.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { RecentProof } from '../auth/recent-proof/recent-proof.service';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../common/pagination/paginated';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, CreateApiKeyDto, IssuedApiKeyDto, ListApiKeysQueryDto, RotateApiKeyDto } from './dto/api-key.dto';
import { Audit } from '../audit/decorators/audit.decorator';

const uuid = new ParseUUIDPipe({ version: '4' });

/** Key management needs a login session: a key cannot mint, rotate or list keys. */
@ApiTags('api-keys')
@Authenticated({ interactiveOnly: true })
@Controller('api-keys')
export class ApiKeysController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly recentProof: RecentProof,
  ) {}

  @Post()
  @Audit('api-keys.issue', { resource: 'api-key' })
  @ApiOperation({
    summary: 'Issue an API key for the caller; the key is shown once.',
    description:
      'Send it as `X-API-Key: <key>` or `Authorization: ApiKey <key>`. It acts as its owner, limited to its permissions.',
  })
  @ApiCreatedResponse({ type: IssuedApiKeyDto })
  @ApiErrorResponses(400, 403)
  async issue(@CurrentUser() caller: AuthenticatedUser, @Body() body: CreateApiKeyDto): Promise<IssuedApiKeyDto> {
    const { currentPassword, ...input } = body;
    await this.recentProof.require(caller, currentPassword);
    return this.keys.issue(caller, input);
  }

  @Get()
  @Audit('api-keys.list', { resource: 'api-key' })
  @ApiOperation({ summary: 'The caller’s keys, or those of a user the caller may manage; never a secret.' })
  @ApiPageResponse(ApiKeyDto)
  @ApiErrorResponses(400)
  async list(
    @CurrentUser() caller: AuthenticatedUser,
    @Query() query: ListApiKeysQueryDto,
  ): Promise<PageDto<ApiKeyDto>> {
    return mapPage(await this.keys.list(caller, query), (key) => ApiKeyDto.from(key));
  }

  @Delete(':id')
  @Audit('api-keys.revoke', { resource: 'api-key', idParam: 'id' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a key (the caller’s, or one of a user the caller may manage) at once, everywhere.' })
  @ApiErrorResponses(400, 404)
  async revoke(@CurrentUser() caller: AuthenticatedUser, @Param('id', uuid) id: string): Promise<void> {
    await this.keys.revoke(caller, id);
  }

  @Post(':id/rotate')
  @Audit('api-keys.rotate', { resource: 'api-key', idParam: 'id' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Issue a new secret for the caller’s own key; the old one works for the grace period only.',
    description: 'Only the owner rotates (and so receives a secret). Of two concurrent rotations one is a 409.',
  })
  @ApiOkResponse({ type: IssuedApiKeyDto })
  @ApiErrorResponses(400, 403, 404, 409)
  rotate(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Body() body: RotateApiKeyDto,
  ): Promise<IssuedApiKeyDto> {
    return this.keys.rotate(caller, id, body.graceMinutes);
  }
}
