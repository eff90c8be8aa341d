import { Body, Controller, Delete, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../../audit/decorators/audit.decorator';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import type { AuthenticatedUser } from '../authenticated-user';
import { AccountRestriction, Authenticated } from '../../access/decorators/authenticated.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { ConfirmTotpDto, DisableTotpDto, EnrollTotpDto, RecoveryCodesDto, TotpEnrollmentDto } from '../dto/totp.dto';
import { MfaService } from './mfa.service';

@ApiTags('auth')
@Controller('auth/mfa/totp')
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Post('enroll')
  @Audit('auth.mfa.enroll', { resource: 'user' })
  @Authenticated({ allowRestricted: [AccountRestriction.MfaEnrollment], interactiveOnly: true })
  @ApiOperation({
    summary: 'Start TOTP enrollment: a new secret for the authenticator app, shown once.',
    description: 'Needs the current password unless the session logged in within RECENT_AUTH_MINUTES.',
  })
  @ApiCreatedResponse({ type: TotpEnrollmentDto })
  @ApiErrorResponses(400, 403, 409)
  enroll(@CurrentUser() user: AuthenticatedUser, @Body() body: EnrollTotpDto): Promise<TotpEnrollmentDto> {
    return this.mfa.enroll(user, body.currentPassword);
  }

  @Post('confirm')
  @Audit('auth.mfa.confirm', { resource: 'user' })
  @Authenticated({ allowRestricted: [AccountRestriction.MfaEnrollment], interactiveOnly: true })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Confirm enrollment with a code from the app; returns 10 single-use recovery codes.' })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiErrorResponses(400, 409)
  async confirm(@CurrentUser() user: AuthenticatedUser, @Body() body: ConfirmTotpDto): Promise<RecoveryCodesDto> {
    return { recoveryCodes: await this.mfa.confirm(user.id, body.code) };
  }

  @Delete()
  @Audit('auth.mfa.disable', { resource: 'user' })
  @Authenticated({ interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Turn TOTP off; needs a current code or the password.' })
  @ApiErrorResponses(400, 409)
  async disable(@CurrentUser() user: AuthenticatedUser, @Body() body: DisableTotpDto): Promise<void> {
    await this.mfa.disable(user.id, body);
  }
}
