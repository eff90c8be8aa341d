import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 1024)
  currentPassword!: string;

  @ApiProperty({
    format: 'password',
    description: 'At least 12 characters, not containing the username, and not easy to guess (zxcvbn score >= 3).',
  })
  @IsString()
  @Length(1, 1024)
  newPassword!: string;
}
