import { Module } from '@nestjs/common';
import { CredentialsModule } from '../auth/credentials.module';
import { PermissionsModule } from '../rbac/permissions.module';
import { apiKeyPepperProvider } from './api-key-pepper.provider';
import { ApiKeyUsageTracker } from './api-key-usage.tracker';
import { ApiKeyVerifier } from './api-key-verifier.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { ApiKey } from './entities/api-key.entity';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';

@Module({
  imports: [DatabaseFeatureModule.forFeature([ApiKey]), PermissionsModule, CredentialsModule],
  controllers: [ApiKeysController],
  providers: [apiKeyPepperProvider, ApiKeyVerifier, ApiKeyUsageTracker, ApiKeysService],
  exports: [ApiKeysService, ApiKeyVerifier],
})
export class ApiKeysModule {}
