import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AccessCheckService } from './access-check.service';
import { PermissionGrant } from './entities/permission-grant.entity';
import { GrantService } from './grant.service';
import { PermissionsModule } from './permissions.module';
import { RbacController } from './rbac.controller';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';

/** The rbac API: roles, grants and permission checks. Decisions themselves live in PermissionsModule. */
@Module({
  imports: [DatabaseFeatureModule.forFeature([PermissionGrant]), PermissionsModule, AuthModule],
  controllers: [RbacController],
  providers: [GrantService, AccessCheckService],
  exports: [GrantService],
})
export class RbacModule {}
