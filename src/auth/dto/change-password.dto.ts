import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 1024)
  currentPassword!: string;

  @ApiProperty({
    format: 'password',
    description:
      '12 to 256 characters, not containing the username, and not easy to guess (zxcvbn score >= 3); ' +
      'a longer one is refused with WEAK_PASSWORD.',
  })
  @IsString()
  @Length(1, 1024)
  newPassword!: string;

  @ApiPropertyOptional({
    description: "Keep the caller's API keys working; by default a password change revokes them all.",
  })
  @IsOptional()
  @IsBoolean()
  keepApiKeys?: boolean;
}
