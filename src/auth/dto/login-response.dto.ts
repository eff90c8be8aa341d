import { ApiProperty } from '@nestjs/swagger';
import { ALL_ROLES, Role } from '../../rbac/role';
import { TokenPairDto } from '../tokens/dto/tokens.dto';

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

export class LoginResponseDto extends TokenPairDto {
  @ApiProperty({ format: 'uuid' })
  sessionId!: string;

  @ApiProperty({ type: LoginUserDto })
  user!: LoginUserDto;
}
