import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Authenticated } from '../access/decorators/authenticated.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../common/pagination/paginated';
import {
  AccessCheckDto,
  AccessCheckQueryDto,
  CreateGrantDto,
  GrantDto,
  ListGrantsQueryDto,
  RolePermissionsDto,
} from './dto/grant.dto';
import { GrantService } from './grant.service';
import { Permission } from './permission';
import { AccessCheckService } from './access-check.service';
import { ALL_ROLES, ROLE_PERMISSIONS } from './role';
import { Audit } from '../audit/decorators/audit.decorator';

@ApiTags('rbac')
@Controller('rbac')
export class RbacController {
  constructor(
    private readonly grants: GrantService,
    private readonly access: AccessCheckService,
  ) {}

  @Get('roles')
  @Audit('rbac.roles')
  @Authenticated()
  @ApiOperation({ summary: 'Each role and the permissions it carries.' })
  @ApiOkResponse({ type: [RolePermissionsDto] })
  roles(): RolePermissionsDto[] {
    return ALL_ROLES.map((role) => ({ role, permissions: [...ROLE_PERMISSIONS[role]] }));
  }

  @Get('grants')
  @Audit('rbac.grants.list', { resource: 'grant' })
  @Authenticated({ permissions: [Permission.UsersManage], interactiveOnly: true })
  @ApiOperation({ summary: 'Grants, newest first; active and unexpired ones unless includeInactive.' })
  @ApiPageResponse(GrantDto)
  @ApiErrorResponses(400)
  async listGrants(@Query() query: ListGrantsQueryDto): Promise<PageDto<GrantDto>> {
    return mapPage(await this.grants.list(query), (item) => GrantDto.from(item));
  }

  @Post('grants')
  @Audit('rbac.grants.create', { resource: 'grant' })
  @Authenticated({ permissions: [Permission.UsersManage], interactiveOnly: true })
  @ApiOperation({
    summary: 'Grant a user an extra permission, optionally scoped to a resource and expiring.',
    description: 'Nobody grants a permission they lack; only an ADMIN grants users:manage.',
  })
  @ApiCreatedResponse({ type: GrantDto })
  @ApiErrorResponses(400, 404)
  async createGrant(@CurrentUser() actor: AuthenticatedUser, @Body() body: CreateGrantDto): Promise<GrantDto> {
    return GrantDto.from(await this.grants.create(actor, body));
  }

  @Delete('grants/:id')
  @Audit('rbac.grants.revoke', { resource: 'grant', idParam: 'id' })
  @Authenticated({ permissions: [Permission.UsersManage], interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a grant; it stops counting at once.' })
  @ApiErrorResponses(400, 404)
  async revokeGrant(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
  ): Promise<void> {
    await this.grants.revoke(actor, id);
  }

  @Get('check')
  @Audit('rbac.check')
  @Authenticated({ permissions: [Permission.UsersManage], interactiveOnly: true })
  @ApiOperation({
    summary: 'Would this user be allowed this permission (on this resource)? The seed’s check_user_permission.',
  })
  @ApiOkResponse({ type: AccessCheckDto })
  @ApiErrorResponses(400, 404)
  check(@Query() query: AccessCheckQueryDto): Promise<AccessCheckDto> {
    return this.access.check(query);
  }
}
