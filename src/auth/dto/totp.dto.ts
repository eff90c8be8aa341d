import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { UnlessAbsent } from '../../common/validation/unless-absent.decorator';

export class TotpEnrollmentDto {
  @ApiProperty({
    description: 'Base32 secret for the authenticator app; shown this once.',
    example: 'JBSWY3DPEHPK3PXP',
  })
  secret!: string;

  @ApiProperty({ example: 'otpauth://totp/Sentinel:admin?issuer=Sentinel&secret=...' })
  otpauthUrl!: string;

  @ApiProperty({ description: 'The otpauth URL as a PNG QR code data URL.' })
  qrCodeDataUrl!: string;
}

export class ConfirmTotpDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code!: string;
}

export class RecoveryCodesDto {
  @ApiProperty({
    type: [String],
    description: 'Ten single-use recovery codes; shown this once, stored only as hashes.',
  })
  recoveryCodes!: string[];
}

export class DisableTotpDto {
  @ApiPropertyOptional({ example: '123456', description: 'A current TOTP code (or give the password).' })
  @UnlessAbsent()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code?: string;

  @ApiPropertyOptional({ format: 'password', description: 'The account password (or give a code).' })
  @UnlessAbsent()
  @IsString()
  @Length(1, 1024)
  password?: string;
}

export class EnrollTotpDto {
  @ApiPropertyOptional({
    format: 'password',
    description: 'The current password: needed unless the session logged in within RECENT_AUTH_MINUTES.',
  })
  @UnlessAbsent()
  @IsString()
  @Length(1, 1024)
  currentPassword?: string;
}
