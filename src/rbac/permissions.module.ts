import { Module } from '@nestjs/common';
import { PermissionGrant } from './entities/permission-grant.entity';
import { PermissionGuard } from './guards/permission.guard';
import { PermissionService } from './permission.service';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';

/** Permission decisions and their guard; the lowest layer of rbac, used by auth and every feature. */
@Module({
  imports: [DatabaseFeatureModule.forFeature([PermissionGrant])],
  providers: [PermissionService, PermissionGuard],
  exports: [PermissionService, PermissionGuard],
})
export class PermissionsModule {}
