import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';
import { UnlessAbsent } from '../../common/validation/unless-absent.decorator';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @Length(1, 64)
  username!: string;

  @ApiProperty({ example: 'a long and unguessable passphrase', format: 'password' })
  @IsString()
  @Length(1, 1024)
  password!: string;

  @ApiPropertyOptional({ description: 'Current 6-digit TOTP code, when MFA is enabled.', example: '123456' })
  @UnlessAbsent()
  @IsString()
  @MaxLength(16)
  totpCode?: string;

  @ApiPropertyOptional({
    description: 'An unused recovery code, instead of a TOTP code.',
    example: 'abcd-efgh-ijkl-mnop',
  })
  @UnlessAbsent()
  @IsString()
  @MaxLength(64)
  recoveryCode?: string;
}
