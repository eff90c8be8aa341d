import { Module } from '@nestjs/common';
import { DatabaseFeatureModule } from '../../database/transactions/database-feature.module';
import { SecretsCoreModule } from '../../secrets/secrets-core.module';
import { User } from '../entities/user.entity';
import { TotpSecretCipher } from './totp-secret.cipher';
import { TotpSecretsRewrap } from './totp-secrets-rewrap.service';

/** TOTP secrets under the master keyring: the cipher MFA uses, and the re-wrap the command line runs. */
@Module({
  imports: [SecretsCoreModule, DatabaseFeatureModule.forFeature([User])],
  providers: [TotpSecretCipher, TotpSecretsRewrap],
  exports: [TotpSecretCipher, TotpSecretsRewrap],
})
export class TotpSecretsModule {}
