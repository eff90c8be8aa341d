import { ApiProperty, PickType } from '@nestjs/swagger';
import { ALL_PERMISSIONS, Permission } from '../../rbac/permission';
import { UserDto } from '../users/dto/user.dto';

/** The caller's own account, as administrators would see it, plus everything the caller may do. */
export class ProfileDto extends PickType(UserDto, [
  'id',
  'username',
  'email',
  'displayName',
  'role',
  'mustChangePassword',
  'mfaEnabled',
  'lastLoginAt',
  'createdAt',
] as const) {
  @ApiProperty({ enum: ALL_PERMISSIONS, isArray: true, description: 'Everything the caller may do.' })
  permissions!: Permission[];
}
