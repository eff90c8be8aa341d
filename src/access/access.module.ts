import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuthModule } from '../auth/auth.module';
import { PermissionsModule } from '../rbac/permissions.module';
import { AccessGuard } from './access.guard';
import { AccessRequirements } from './access-requirements';

/**
 * The access decision: the global guard (registered in AppModule) and the
 * route declarations it reads. It depends on auth (bearer tokens), api-keys
 * and rbac (permissions); none of them depends on it except for the decorator.
 */
@Module({
  imports: [AuthModule, ApiKeysModule, PermissionsModule],
  providers: [AccessRequirements, AccessGuard],
  exports: [AccessGuard],
})
export class AccessModule {}
