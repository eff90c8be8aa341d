import { Body, Controller, Delete, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import type { AuthenticatedUser } from '../authenticated-user';
import { AccountRestriction, Authenticated } from '../decorators/access.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { Origin } from '../decorators/request-origin.decorator';
import { ConfirmTotpDto, DisableTotpDto, RecoveryCodesDto, TotpEnrollmentDto } from '../dto/totp.dto';
import type { RequestOrigin } from '../events/auth.events';
import { MfaService } from './mfa.service';

@ApiTags('auth')
@Controller('auth/mfa/totp')
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Post('enroll')
  @Authenticated({ allowRestricted: [AccountRestriction.MfaEnrollment], interactiveOnly: true })
  @ApiOperation({ summary: 'Start TOTP enrollment: a new secret for the authenticator app, shown once.' })
  @ApiCreatedResponse({ type: TotpEnrollmentDto })
  @ApiErrorResponses(409)
  enroll(@CurrentUser() user: AuthenticatedUser): Promise<TotpEnrollmentDto> {
    return this.mfa.enroll(user.id);
  }

  @Post('confirm')
  @Authenticated({ allowRestricted: [AccountRestriction.MfaEnrollment], interactiveOnly: true })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Confirm enrollment with a code from the app; returns 10 single-use recovery codes.' })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiErrorResponses(400, 409)
  async confirm(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ConfirmTotpDto,
    @Origin() origin: RequestOrigin,
  ): Promise<RecoveryCodesDto> {
    return { recoveryCodes: await this.mfa.confirm(user.id, body.code, origin) };
  }

  @Delete()
  @Authenticated({ interactiveOnly: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Turn TOTP off; needs a current code or the password.' })
  @ApiErrorResponses(400, 409)
  async disable(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: DisableTotpDto,
    @Origin() origin: RequestOrigin,
  ): Promise<void> {
    await this.mfa.disable(user.id, body, origin);
  }
}
