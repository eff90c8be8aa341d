import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token of the last login or refresh; each is usable once.', writeOnly: true })
  @IsString()
  @Length(1, 256)
  refreshToken!: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'JWT to send as `Authorization: Bearer <token>`; lives ACCESS_TOKEN_TTL_MINUTES.' })
  accessToken!: string;

  @ApiProperty({ example: 'Bearer' })
  tokenType!: 'Bearer';

  @ApiProperty({ format: 'date-time', description: 'When the access token expires.' })
  expiresAt!: string;

  @ApiProperty({ description: 'Exchange it at /auth/refresh for a new pair; usable once.' })
  refreshToken!: string;

  @ApiProperty({ format: 'date-time', description: 'The session’s absolute end (SESSION_TTL_HOURS).' })
  refreshExpiresAt!: string;
}

export class IntrospectDto {
  @ApiProperty({ writeOnly: true })
  @IsString()
  @Length(1, 8192)
  token!: string;

  @ApiPropertyOptional({ enum: ['access_token'] })
  @IsOptional()
  @IsIn(['access_token', 'refresh_token'])
  token_type_hint?: string;
}

/** RFC 7662 section 2.2; everything but `active` only when active. */
export class IntrospectionDto {
  @ApiProperty() active!: boolean;
  @ApiPropertyOptional() sub?: string;
  @ApiPropertyOptional() username?: string;
  @ApiPropertyOptional({ description: 'The session id.' }) jti?: string;
  @ApiPropertyOptional() exp?: number;
  @ApiPropertyOptional() iat?: number;
  @ApiPropertyOptional() iss?: string;
  @ApiPropertyOptional() aud?: string;
  @ApiPropertyOptional({ example: 'access_token' }) token_type?: string;
}
