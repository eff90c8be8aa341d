import { Module } from '@nestjs/common';
import { PermissionsModule } from '../rbac/permissions.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuthController } from './auth.controller';
import { CredentialsModule } from './credentials.module';
import { SessionCleanup } from './sessions/session-cleanup.service';
import { AuthService } from './auth.service';
import { InitialAdminService } from './bootstrap/initial-admin.service';
import { RecoveryCode } from './entities/recovery-code.entity';
import { Session } from './entities/session.entity';
import { User } from './entities/user.entity';
import { LoginService } from './login.service';
import { MfaController } from './mfa/mfa.controller';
import { MfaService } from './mfa/mfa.service';
import { TotpSecretsModule } from './mfa/totp-secrets.module';
import { PasswordPolicy } from './password/password-policy.service';
import { PasswordStrengthEstimator } from './password/password-strength.estimator';
import { SigningKeyModule } from './signing-key.module';
import { SecretsCoreModule } from '../secrets/secrets-core.module';
import { AccessTokenVerifier } from './strategies/access-token.verifier';
import { AccessTokens } from './tokens/access-tokens.service';
import { RefreshToken } from './tokens/refresh-token.entity';
import { TokenIntrospection } from './tokens/token-introspection.service';
import { TokenPairs } from './tokens/token-pairs.service';
import { TokensController } from './tokens/tokens.controller';
import { UserCredentialsRepository } from './user-credentials.repository';
import { UserAdminService } from './users/user-admin.service';
import { UsersController } from './users/users.controller';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';

@Module({
  imports: [
    DatabaseFeatureModule.forFeature([User, Session, RecoveryCode, RefreshToken]),
    PermissionsModule,
    CredentialsModule,
    ApiKeysModule,
    SigningKeyModule,
    SecretsCoreModule,
    TotpSecretsModule,
  ],
  controllers: [AuthController, MfaController, UsersController, TokensController],
  providers: [
    AuthService,
    LoginService,
    MfaService,
    SessionCleanup,
    PasswordPolicy,
    PasswordStrengthEstimator,
    UserCredentialsRepository,
    AccessTokenVerifier,
    AccessTokens,
    TokenPairs,
    TokenIntrospection,
    InitialAdminService,
    UserAdminService,
  ],
  exports: [AccessTokenVerifier, CredentialsModule],
})
export class AuthModule {}
