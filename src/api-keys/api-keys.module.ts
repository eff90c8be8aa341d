import { Module } from '@nestjs/common';
import { PermissionsModule } from '../rbac/permissions.module';
import { apiKeyPepperProvider } from './api-key-pepper.provider';
import { ApiKeyStrategy } from './api-key.strategy';
import { ApiKeyUsageTracker } from './api-key-usage.tracker';
import { ApiKeyVerifier } from './api-key-verifier.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { ApiKey } from './entities/api-key.entity';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';

@Module({
  imports: [DatabaseFeatureModule.forFeature([ApiKey]), PermissionsModule],
  controllers: [ApiKeysController],
  providers: [apiKeyPepperProvider, ApiKeyVerifier, ApiKeyUsageTracker, ApiKeysService, ApiKeyStrategy],
  exports: [ApiKeysService],
})
export class ApiKeysModule {}
