import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { QueryBoolean } from '../../../common/validation/query-boolean.decorator';
import { UnlessAbsent } from '../../../common/validation/unless-absent.decorator';
import { PaginationQueryDto } from '../../../common/pagination/pagination-query.dto';
import { ALL_ROLES, Role } from '../../../rbac/role';

export class CreateUserDto {
  @ApiProperty({ example: 'jdoe', description: '3-64 letters, digits, dot, dash or underscore; unique ignoring case.' })
  @Matches(/^[A-Za-z0-9._-]{3,64}$/, { message: 'username must be 3-64 letters, digits, ".", "-" or "_"' })
  username!: string;

  @ApiProperty({ example: 'jdoe@example.com' })
  @IsEmail()
  @Length(3, 254)
  email!: string;

  @ApiPropertyOptional({ example: 'Jane Doe' })
  @UnlessAbsent()
  @IsString()
  @Length(1, 128)
  displayName?: string;

  @ApiProperty({ enum: ALL_ROLES })
  @IsIn(ALL_ROLES)
  role!: Role;

  @ApiPropertyOptional({
    format: 'password',
    description: 'Initial password (must pass the policy). Omit it to get a generated one, shown once.',
  })
  @UnlessAbsent()
  @IsString()
  @Length(1, 1024)
  password?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsEmail()
  @Length(3, 254)
  email?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'null clears it.' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  displayName?: string | null;

  @ApiPropertyOptional({ enum: ALL_ROLES, description: 'Changing it ends the user’s sessions.' })
  @UnlessAbsent()
  @IsIn(ALL_ROLES)
  role?: Role;

  @ApiPropertyOptional({ description: 'false deactivates the user and ends their sessions.' })
  @UnlessAbsent()
  @IsBoolean()
  isActive?: boolean;
}

export class ListUsersQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: ALL_ROLES })
  @IsOptional()
  @IsIn(ALL_ROLES)
  role?: Role;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ description: 'Matches username, email or display name, ignoring case.' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  q?: string;
}

export class ResetPasswordDto {
  @ApiPropertyOptional({ description: "Keep the user's API keys working; by default a reset revokes them all." })
  @IsOptional()
  @IsBoolean()
  keepApiKeys?: boolean;
}
