import { ApiProperty } from '@nestjs/swagger';
import { ALL_ROLES, Role } from '../../rbac/role';

export class LoginUserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  username!: string;

  @ApiProperty({ enum: ALL_ROLES })
  role!: Role;

  @ApiProperty({ description: 'When true, only /auth/me and /auth/password work until the password is changed.' })
  mustChangePassword!: boolean;

  @ApiProperty()
  mfaEnabled!: boolean;
}

export class LoginResponseDto {
  @ApiProperty({ description: 'JWT to send as `Authorization: Bearer <token>`.' })
  accessToken!: string;

  @ApiProperty({ example: 'Bearer' })
  tokenType!: 'Bearer';

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ format: 'uuid' })
  sessionId!: string;

  @ApiProperty({ type: LoginUserDto })
  user!: LoginUserDto;
}
