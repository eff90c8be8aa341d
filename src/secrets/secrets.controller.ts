import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseIntPipe,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../audit/decorators/audit.decorator';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Authenticated } from '../access/decorators/authenticated.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ApiPageResponse, type PageDto } from '../common/pagination/paginated';
import { Permission } from '../rbac/permission';
import {
  CreateSecretDto,
  ListSecretsQueryDto,
  SecretDetailDto,
  SecretMetadataDto,
  SecretValueDto,
  SecretValueQueryDto,
  WriteSecretDto,
} from './dto/secret.dto';
import { SecretsService } from './secrets.service';

const versionPipe = new ParseIntPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });
const RESOURCE = { resource: 'secret', idParam: 'name' } as const;

/** Names are path-like: send `team/service/db-password` as `team%2Fservice%2Fdb-password`. */
@ApiTags('secrets')
@Controller('secrets')
export class SecretsController {
  constructor(private readonly secrets: SecretsService) {}

  @Post()
  @Authenticated({ permissions: [Permission.SecretsWrite] })
  @Audit('secrets.create', { resource: 'secret' })
  @ApiOperation({ summary: 'Create a secret (version 1); without a value one is generated where the type allows.' })
  @ApiCreatedResponse({ type: SecretMetadataDto })
  @ApiErrorResponses(400, 409)
  create(@CurrentUser() caller: AuthenticatedUser, @Body() body: CreateSecretDto): Promise<SecretMetadataDto> {
    return this.secrets.create(caller, body);
  }

  @Get()
  @Authenticated({ permissions: [Permission.SecretsRead] })
  @Audit('secrets.list', { resource: 'secret' })
  @ApiOperation({ summary: 'Secrets by name prefix: metadata only, never a value.' })
  @ApiPageResponse(SecretMetadataDto)
  @ApiErrorResponses(400)
  list(@Query() query: ListSecretsQueryDto): Promise<PageDto<SecretMetadataDto>> {
    return this.secrets.list(query);
  }

  @Get(':name')
  @Authenticated({ permissions: [Permission.SecretsRead] })
  @Audit('secrets.describe', RESOURCE)
  @ApiOperation({ summary: 'A secret’s metadata, versions and rotation history; never a value.' })
  @ApiOkResponse({ type: SecretDetailDto })
  @ApiErrorResponses(404)
  describe(@Param('name') name: string): Promise<SecretDetailDto> {
    return this.secrets.describe(name);
  }

  @Get(':name/value')
  @Authenticated({ permissions: [Permission.SecretsRead] })
  @Audit('secrets.read', RESOURCE)
  @ApiOperation({ summary: 'The value of a version (default the current one); every read is audited.' })
  @ApiOkResponse({ type: SecretValueDto })
  @ApiErrorResponses(400, 404, 409, 410, 422)
  readValue(@Param('name') name: string, @Query() query: SecretValueQueryDto): Promise<SecretValueDto> {
    return this.secrets.readValue(name, query.version);
  }

  @Put(':name')
  @Authenticated({ permissions: [Permission.SecretsWrite] })
  @Audit('secrets.write', RESOURCE)
  @ApiOperation({ summary: 'Write a new version; with cas, only if the current version is still cas.' })
  @ApiOkResponse({ type: SecretMetadataDto })
  @ApiErrorResponses(400, 404, 409, 422)
  write(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('name') name: string,
    @Body() body: WriteSecretDto,
  ): Promise<SecretMetadataDto> {
    return this.secrets.write(caller, name, body);
  }

  @Post(':name/rotate')
  @Authenticated({ permissions: [Permission.SecretsWrite] })
  @Audit('secrets.rotate', RESOURCE)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Generate a new version now (password, token, signing_key).' })
  @ApiOkResponse({ type: SecretMetadataDto })
  @ApiErrorResponses(404, 409, 422)
  rotate(@CurrentUser() caller: AuthenticatedUser, @Param('name') name: string): Promise<SecretMetadataDto> {
    return this.secrets.rotate(caller, name);
  }

  @Post(':name/versions/:version/delete')
  @Authenticated({ permissions: [Permission.SecretsWrite] })
  @Audit('secrets.version-delete', RESOURCE)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Soft-delete a version: unreadable until undeleted.' })
  @ApiOkResponse({ type: SecretDetailDto })
  @ApiErrorResponses(400, 404, 410)
  deleteVersion(@Param('name') name: string, @Param('version', versionPipe) version: number): Promise<SecretDetailDto> {
    return this.secrets.deleteVersion(name, version);
  }

  @Post(':name/versions/:version/undelete')
  @Authenticated({ permissions: [Permission.SecretsWrite] })
  @Audit('secrets.version-undelete', RESOURCE)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Make a soft-deleted version readable again.' })
  @ApiOkResponse({ type: SecretDetailDto })
  @ApiErrorResponses(400, 404, 410)
  undeleteVersion(
    @Param('name') name: string,
    @Param('version', versionPipe) version: number,
  ): Promise<SecretDetailDto> {
    return this.secrets.undeleteVersion(name, version);
  }

  @Post(':name/versions/:version/destroy')
  @Authenticated({ permissions: [Permission.SecretsManage] })
  @Audit('secrets.version-destroy', RESOURCE)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Erase a version’s value for good; its metadata stays.' })
  @ApiOkResponse({ type: SecretDetailDto })
  @ApiErrorResponses(400, 404)
  destroyVersion(
    @Param('name') name: string,
    @Param('version', versionPipe) version: number,
  ): Promise<SecretDetailDto> {
    return this.secrets.destroyVersion(name, version);
  }

  @Post(':name/deactivate')
  @Authenticated({ permissions: [Permission.SecretsManage] })
  @Audit('secrets.deactivate', RESOURCE)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Retire a secret: no more reads, writes or rotations.' })
  @ApiOkResponse({ type: SecretMetadataDto })
  @ApiErrorResponses(404)
  deactivate(@Param('name') name: string): Promise<SecretMetadataDto> {
    return this.secrets.deactivate(name);
  }

  @Delete(':name')
  @Authenticated({ permissions: [Permission.SecretsManage] })
  @Audit('secrets.delete', RESOURCE)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete the secret with every version and its metadata.' })
  @ApiErrorResponses(404)
  async remove(@Param('name') name: string): Promise<void> {
    await this.secrets.remove(name);
  }
}
