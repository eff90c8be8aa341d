import { Module } from '@nestjs/common';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';
import { Secret } from './entities/secret.entity';
import { SecretRotation } from './entities/secret-rotation.entity';
import { SecretVersion } from './entities/secret-version.entity';
import { masterKeyringProvider } from './keyring/master-keyring.provider';
import { MASTER_KEYRING } from './keyring/master-keyring';
import { MasterKeyRewrapService } from './master-key-rewrap.service';
import { SecretCipher } from './secret-cipher.service';
import { SecretsService } from './secrets.service';
import { TransitKey } from './transit/entities/transit-key.entity';
import { TransitKeyVersion } from './transit/entities/transit-key-version.entity';
import { TransitService } from './transit/transit.service';
import { JwtSigningKey } from './signing-keys/jwt-signing-key.entity';
import { JwtSigningKeys } from './signing-keys/jwt-signing-keys.service';

/** The keyring, the secrets and transit services without HTTP or schedules: what the command line runs. */
@Module({
  imports: [
    DatabaseFeatureModule.forFeature([
      Secret,
      SecretVersion,
      SecretRotation,
      TransitKey,
      TransitKeyVersion,
      JwtSigningKey,
    ]),
  ],
  providers: [
    masterKeyringProvider,
    SecretCipher,
    SecretsService,
    TransitService,
    MasterKeyRewrapService,
    JwtSigningKeys,
  ],
  exports: [MASTER_KEYRING, SecretCipher, SecretsService, TransitService, MasterKeyRewrapService, JwtSigningKeys],
})
export class SecretsCoreModule {}
