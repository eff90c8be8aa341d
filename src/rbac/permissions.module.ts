import { Module } from '@nestjs/common';
import { PermissionGrant } from './entities/permission-grant.entity';
import { ManagementPolicy } from './management-policy.service';
import { PermissionService } from './permission.service';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';

/** Permission decisions; the lowest layer of rbac, used by auth and every feature. */
@Module({
  imports: [DatabaseFeatureModule.forFeature([PermissionGrant])],
  providers: [PermissionService, ManagementPolicy],
  exports: [PermissionService, ManagementPolicy],
})
export class PermissionsModule {}
