import { Authenticated } from '../../access/decorators/authenticated.decorator';
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
import { Permission } from '../../rbac/permission';
import type { AuthenticatedUser } from '../authenticated-user';
import { CurrentUser } from '../decorators/current-user.decorator';
import { SessionDto } from '../dto/session.dto';
import { SessionService } from '../sessions/session.service';
import { CreatedUserDto, TemporaryPasswordDto, UserDto } from './dto/user.dto';
import { CreateUserDto, ListUsersQueryDto, ResetPasswordDto, UpdateUserDto } from './dto/user-input.dto';
import { UserAdminService } from './user-admin.service';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('users')
// Managing accounts needs a login session: an API key, whatever it lists, never creates, resets or unlocks users.
@Authenticated({ permissions: [Permission.UsersManage], interactiveOnly: true })
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
    const found = await this.users.list(query);
    const lockEnds = await this.users.lockEnds(found.items);
    return mapPage(found, (item) => UserDto.from(item, lockEnds.get(item.id) ?? null));
  }

  @Get(':id')
  @Audit('users.get', { resource: 'user', idParam: 'id' })
  @ApiOperation({ summary: "One user's profile and account state (never a password hash or TOTP secret)." })
  @ApiOkResponse({ type: UserDto })
  @ApiErrorResponses(400, 404)
  async get(@Param('id', uuid) id: string): Promise<UserDto> {
    const user = await this.users.get(id);
    return UserDto.from(user, (await this.users.lockEnds([user])).get(user.id) ?? null);
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
  @ApiOperation({
    summary:
      'Set a temporary password (returned once) that must be changed; ends the user’s sessions and revokes their API keys.',
  })
  @ApiOkResponse({ type: TemporaryPasswordDto })
  @ApiErrorResponses(400, 404)
  async resetPassword(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Body() body: ResetPasswordDto,
  ): Promise<TemporaryPasswordDto> {
    return { temporaryPassword: await this.users.resetPassword(actor, id, body) };
  }

  @Post(':id/mfa/reset')
  @Audit('users.mfa.reset', { resource: 'user', idParam: 'id' })
  @Authenticated({ permissions: [Permission.UsersManage], interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Remove the user's TOTP and recovery codes (a lost phone); ends their sessions." })
  @ApiErrorResponses(400, 403, 404, 409)
  async resetMfa(@CurrentUser() actor: AuthenticatedUser, @Param('id', uuid) id: string): Promise<void> {
    await this.users.resetMfa(actor, id);
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
  @ApiOperation({ summary: "A user's open sessions (ips and user agents): only of a user the caller may manage." })
  @ApiOkResponse({ type: [SessionDto] })
  @ApiErrorResponses(400, 404)
  async listSessions(@CurrentUser() actor: AuthenticatedUser, @Param('id', uuid) id: string): Promise<SessionDto[]> {
    await this.users.getManageable(actor, id);
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
