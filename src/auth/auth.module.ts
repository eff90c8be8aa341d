import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { authConfig } from '../config';
import { PermissionsModule } from '../rbac/permissions.module';
import { AccountLockService } from './account-lock.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { InitialAdminService } from './bootstrap/initial-admin.service';
import { RecoveryCode } from './entities/recovery-code.entity';
import { Session } from './entities/session.entity';
import { User } from './entities/user.entity';
import { AuthenticationGuard } from './guards/authentication.guard';
import { JWT_SIGNING_KEY } from './jwt-signing-key.provider';
import { FailedAttemptsService } from './failed-attempts.service';
import { LoginService } from './login.service';
import { MfaController } from './mfa/mfa.controller';
import { MfaService } from './mfa/mfa.service';
import { PasswordHasher } from './password/password-hasher.service';
import { PasswordPolicy } from './password/password-policy.service';
import { SessionService } from './sessions/session.service';
import { SigningKeyModule } from './signing-key.module';
import { JwtStrategy } from './strategies/jwt.strategy';
import { UserCredentialsRepository } from './user-credentials.repository';
import { UserAdminService } from './users/user-admin.service';
import { UserDirectoryService } from './users/user-directory.service';
import { UsersController } from './users/users.controller';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';

@Module({
  imports: [
    DatabaseFeatureModule.forFeature([User, Session, RecoveryCode]),
    PermissionsModule,
    PassportModule,
    SigningKeyModule,
    JwtModule.registerAsync({
      imports: [SigningKeyModule],
      inject: [JWT_SIGNING_KEY, authConfig.KEY],
      useFactory: (secret: string, config: ConfigType<typeof authConfig>) => ({
        secret,
        signOptions: { algorithm: 'HS256', issuer: config.jwtIssuer, audience: config.jwtAudience },
        verifyOptions: { algorithms: ['HS256'], issuer: config.jwtIssuer, audience: config.jwtAudience },
      }),
    }),
  ],
  controllers: [AuthController, MfaController, UsersController],
  providers: [
    AuthService,
    LoginService,
    FailedAttemptsService,
    MfaService,
    SessionService,
    PasswordHasher,
    PasswordPolicy,
    UserCredentialsRepository,
    JwtStrategy,
    InitialAdminService,
    AuthenticationGuard,
    UserAdminService,
    UserDirectoryService,
    AccountLockService,
  ],
  exports: [AuthenticationGuard, SessionService, UserDirectoryService, AccountLockService],
})
export class AuthModule {}
