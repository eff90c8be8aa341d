import { Module } from '@nestjs/common';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';
import { Secret } from './entities/secret.entity';
import { SecretsRotationJob } from './secrets-rotation.job';
import { SecretsController } from './secrets.controller';
import { SecretsCoreModule } from './secrets-core.module';
import { TransitController } from './transit/transit.controller';
import { SigningKeysController } from './signing-keys/signing-keys.controller';
import { SigningKeysRotationJob } from './signing-keys/signing-keys-rotation.job';

@Module({
  imports: [SecretsCoreModule, DatabaseFeatureModule.forFeature([Secret])],
  controllers: [SecretsController, TransitController, SigningKeysController],
  providers: [SecretsRotationJob, SigningKeysRotationJob],
  exports: [SecretsCoreModule],
})
export class SecretsModule {}
