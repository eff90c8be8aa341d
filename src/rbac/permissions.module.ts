import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PermissionGrant } from './entities/permission-grant.entity';
import { PermissionGuard } from './guards/permission.guard';
import { PermissionService } from './permission.service';

/** Permission decisions and their guard; the lowest layer of rbac, used by auth and every feature. */
@Module({
  imports: [TypeOrmModule.forFeature([PermissionGrant])],
  providers: [PermissionService, PermissionGuard],
  exports: [PermissionService, PermissionGuard],
})
export class PermissionsModule {}
