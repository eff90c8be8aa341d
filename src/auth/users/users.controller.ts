import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../../audit/decorators/audit.decorator';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../../common/pagination/paginated';
import { RequirePermissions } from '../../rbac/decorators/require-permissions.decorator';
import { Permission } from '../../rbac/permission';
import type { AuthenticatedUser } from '../authenticated-user';
import { CurrentUser } from '../decorators/current-user.decorator';
import { SessionDto } from '../dto/session.dto';
import { SessionService } from '../sessions/session.service';
import { CreatedUserDto, TemporaryPasswordDto, UserDto } from './dto/user.dto';
import { CreateUserDto, ListUsersQueryDto, UpdateUserDto } from './dto/user-input.dto';
import { UserAdminService } from './user-admin.service';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('users')
@RequirePermissions([Permission.UsersManage])
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UserAdminService,
    private readonly sessions: SessionService,
  ) {}

  @Post()
  @Audit('users.create', { resource: 'user' })
  @ApiOperation({
    summary: 'Create a user; without a password a temporary one is returned once. Must change it at first login.',
  })
  @ApiCreatedResponse({ type: CreatedUserDto })
  @ApiErrorResponses(400, 409)
  async create(@CurrentUser() actor: AuthenticatedUser, @Body() body: CreateUserDto): Promise<CreatedUserDto> {
    const { user, temporaryPassword } = await this.users.create(actor, body);
    return { user: UserDto.from(user), temporaryPassword };
  }

  @Get()
  @Audit('users.list', { resource: 'user' })
  @ApiOperation({ summary: 'List users, filtered by role, active flag and text.' })
  @ApiPageResponse(UserDto)
  @ApiErrorResponses(400)
  async list(@Query() query: ListUsersQueryDto): Promise<PageDto<UserDto>> {
    return mapPage(await this.users.list(query), (item) => UserDto.from(item));
  }

  @Get(':id')
  @Audit('users.get', { resource: 'user', idParam: 'id' })
  @ApiOperation({ summary: "One user's profile and account state (never a password hash or TOTP secret)." })
  @ApiOkResponse({ type: UserDto })
  @ApiErrorResponses(400, 404)
  async get(@Param('id', uuid) id: string): Promise<UserDto> {
    return UserDto.from(await this.users.get(id));
  }

  @Patch(':id')
  @Audit('users.update', { resource: 'user', idParam: 'id' })
  @ApiOperation({
    summary: 'Change email, display name, role or active flag; a role change or deactivation ends sessions.',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiErrorResponses(400, 404, 409)
  async update(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Body() body: UpdateUserDto,
  ): Promise<UserDto> {
    return UserDto.from(await this.users.update(actor, id, body));
  }

  @Delete(':id')
  @Audit('users.delete', { resource: 'user', idParam: 'id' })
  @ApiOperation({ summary: 'Delete a user; not yourself, and never the last active ADMIN.' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrorResponses(400, 404, 409)
  async remove(@CurrentUser() actor: AuthenticatedUser, @Param('id', uuid) id: string): Promise<void> {
    await this.users.remove(actor, id);
  }

  @Post(':id/reset-password')
  @Audit('users.reset-password', { resource: 'user', idParam: 'id' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Set a temporary password (returned once) that must be changed; ends the user’s sessions.' })
  @ApiOkResponse({ type: TemporaryPasswordDto })
  @ApiErrorResponses(400, 404)
  async resetPassword(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', uuid) id: string,
  ): Promise<TemporaryPasswordDto> {
    return { temporaryPassword: await this.users.resetPassword(actor, id) };
  }

  @Post(':id/unlock')
  @Audit('users.unlock', { resource: 'user', idParam: 'id' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Clear a lockout and the failed-attempt count.' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrorResponses(400, 404)
  async unlock(@CurrentUser() actor: AuthenticatedUser, @Param('id', uuid) id: string): Promise<UserDto> {
    return UserDto.from(await this.users.unlock(actor, id));
  }

  @Get(':id/sessions')
  @Audit('users.sessions.list', { resource: 'user', idParam: 'id' })
  @ApiOperation({ summary: "A user's open sessions." })
  @ApiOkResponse({ type: [SessionDto] })
  @ApiErrorResponses(400, 404)
  async listSessions(@Param('id', uuid) id: string): Promise<SessionDto[]> {
    await this.users.get(id);
    const sessions = await this.sessions.listActive(id);
    return sessions.map((session) => SessionDto.from(session, undefined));
  }

  @Delete(':id/sessions')
  @Audit('users.sessions.revoke', { resource: 'user', idParam: 'id' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End every session of the user.' })
  @ApiErrorResponses(400, 404)
  async revokeSessions(@CurrentUser() actor: AuthenticatedUser, @Param('id', uuid) id: string): Promise<void> {
    await this.users.revokeSessions(actor, id);
  }
}
