import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { RateLimit } from '../common/rate-limit/rate-limit.decorator';
import { Audit } from '../audit/decorators/audit.decorator';
import { AuthService } from './auth.service';
import type { AuthenticatedUser } from './authenticated-user';
import { AccountRestriction, Authenticated } from '../access/decorators/authenticated.decorator';
import { CurrentUser } from './decorators/current-user.decorator';
import { ChangePasswordDto } from './dto/change-password.dto';
import { LoginDto } from './dto/login.dto';
import { LoginResponseDto } from './dto/login-response.dto';
import { ProfileDto } from './dto/profile.dto';
import { SessionDto } from './dto/session.dto';
import { SessionService } from './sessions/session.service';

const ANY_ACCOUNT_STATE = [AccountRestriction.PasswordChange, AccountRestriction.MfaEnrollment];

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
  ) {}

  @Post('login')
  @Public()
  @RateLimit('login')
  @Audit('auth.login', { resource: 'session' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Log in with username and password (and a TOTP or recovery code when MFA is on).',
    description:
      'Every refusal is the same 401, whether the user is unknown, the password wrong, or the account locked or ' +
      `deactivated. MAX_FAILED_ATTEMPTS failures from one ip lock the account for that ip (README: Lockout).`,
  })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiErrorResponses(400, 401, 429, 503)
  login(@Body() body: LoginDto): Promise<LoginResponseDto> {
    return this.auth.logIn(body);
  }

  @Post('logout')
  @Audit('auth.logout', { resource: 'session' })
  @Authenticated({ allowRestricted: ANY_ACCOUNT_STATE, interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End the session of this token.' })
  async logout(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.sessions.revokeOwn(user.id, user.sessionId ?? '', 'logout');
  }

  @Post('logout-all')
  @Audit('auth.logout-all', { resource: 'session' })
  @Authenticated({ allowRestricted: ANY_ACCOUNT_STATE, interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End every session of the caller, this one included.' })
  async logoutAll(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.sessions.revokeAll(user.id, 'logout_all');
  }

  @Get('me')
  @Audit('auth.me')
  @Authenticated({ allowRestricted: ANY_ACCOUNT_STATE })
  @ApiOperation({ summary: "The caller's profile, role and effective permissions." })
  @ApiOkResponse({ type: ProfileDto })
  me(@CurrentUser() user: AuthenticatedUser): Promise<ProfileDto> {
    return this.auth.profile(user);
  }

  @Post('password')
  @Audit('auth.password.change', { resource: 'user' })
  @Authenticated({ allowRestricted: ANY_ACCOUNT_STATE, interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: "Change the caller's password; their other sessions end and their API keys are revoked.",
    description: 'Refused with 403 ACCOUNT_LOCKED, the password unchecked, while the account is locked.',
  })
  @ApiErrorResponses(400, 403)
  async changePassword(@CurrentUser() user: AuthenticatedUser, @Body() body: ChangePasswordDto): Promise<void> {
    await this.auth.changePassword(user, body);
  }

  @Get('sessions')
  @Audit('auth.sessions.list', { resource: 'session' })
  @Authenticated({ interactiveOnly: true })
  @ApiOperation({ summary: "The caller's open sessions." })
  @ApiOkResponse({ type: [SessionDto] })
  async listSessions(@CurrentUser() user: AuthenticatedUser): Promise<SessionDto[]> {
    const sessions = await this.sessions.listActive(user.id);
    return sessions.map((session) => SessionDto.from(session, user.sessionId));
  }

  @Delete('sessions/:id')
  @Audit('auth.sessions.revoke', { resource: 'session', idParam: 'id' })
  @Authenticated({ interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End one of the caller’s sessions.' })
  @ApiErrorResponses(400, 404)
  async revokeSession(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
  ): Promise<void> {
    await this.sessions.revokeOwn(user.id, id, 'revoked_by_owner');
  }
}
