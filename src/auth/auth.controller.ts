import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { RateLimit } from '../common/rate-limit/rate-limit.decorator';
import { AuthService } from './auth.service';
import type { AuthenticatedUser } from './authenticated-user';
import { AccountRestriction, Authenticated } from './decorators/access.decorator';
import { CurrentUser } from './decorators/current-user.decorator';
import { Origin } from './decorators/request-origin.decorator';
import { ChangePasswordDto } from './dto/change-password.dto';
import { LoginDto } from './dto/login.dto';
import { LoginResponseDto } from './dto/login-response.dto';
import { ProfileDto } from './dto/profile.dto';
import { SessionDto } from './dto/session.dto';
import type { RequestOrigin } from './events/auth.events';
import { LoginGuard } from './guards/login.guard';
import type { VerifiedLogin } from './login.service';
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
  @UseGuards(LoginGuard)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Log in with username and password (and a TOTP or recovery code when MFA is on).',
    description:
      'Every refusal is the same 401, whether the user is unknown, the password wrong, or the account locked or ' +
      `deactivated. MAX_FAILED_ATTEMPTS consecutive failures lock the account for LOCKOUT_MINUTES.`,
  })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiErrorResponses(400, 401, 429, 503)
  login(@CurrentUser() login: unknown, @Origin() origin: RequestOrigin): Promise<LoginResponseDto> {
    return this.auth.startSession(login as VerifiedLogin, origin);
  }

  @Post('logout')
  @Authenticated({ allowRestricted: ANY_ACCOUNT_STATE, interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End the session of this token.' })
  async logout(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.sessions.revokeOwn(user.id, user.sessionId ?? '', 'logout');
  }

  @Post('logout-all')
  @Authenticated({ allowRestricted: ANY_ACCOUNT_STATE, interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End every session of the caller, this one included.' })
  async logoutAll(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.sessions.revokeAll(user.id, 'logout_all');
  }

  @Get('me')
  @Authenticated({ allowRestricted: ANY_ACCOUNT_STATE })
  @ApiOperation({ summary: "The caller's profile, role and effective permissions." })
  @ApiOkResponse({ type: ProfileDto })
  me(@CurrentUser() user: AuthenticatedUser): Promise<ProfileDto> {
    return this.auth.profile(user);
  }

  @Post('password')
  @Authenticated({ allowRestricted: ANY_ACCOUNT_STATE, interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Change the caller's password; their other sessions end." })
  @ApiErrorResponses(400)
  async changePassword(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @Origin() origin: RequestOrigin,
  ): Promise<void> {
    await this.auth.changePassword(user, body.currentPassword, body.newPassword, origin);
  }

  @Get('sessions')
  @Authenticated({ interactiveOnly: true })
  @ApiOperation({ summary: "The caller's open sessions." })
  @ApiOkResponse({ type: [SessionDto] })
  async listSessions(@CurrentUser() user: AuthenticatedUser): Promise<SessionDto[]> {
    const sessions = await this.sessions.listActive(user.id);
    return sessions.map((session) => SessionDto.from(session, user.sessionId));
  }

  @Delete('sessions/:id')
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
