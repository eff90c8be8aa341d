import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PermissionsModule } from '../rbac/permissions.module';
import { apiKeyPepperProvider } from './api-key-pepper.provider';
import { ApiKeyStrategy } from './api-key.strategy';
import { ApiKeyUsageTracker } from './api-key-usage.tracker';
import { ApiKeyVerifier } from './api-key-verifier.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { ApiKey } from './entities/api-key.entity';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKey]), PermissionsModule],
  controllers: [ApiKeysController],
  providers: [apiKeyPepperProvider, ApiKeyVerifier, ApiKeyUsageTracker, ApiKeysService, ApiKeyStrategy],
})
export class ApiKeysModule {}
