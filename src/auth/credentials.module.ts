import { Module } from '@nestjs/common';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';
import { Session } from './entities/session.entity';
import { User } from './entities/user.entity';
import { AccountLockService } from './lockout/account-lock.service';
import { InSessionProofs } from './lockout/in-session-proofs.service';
import { LoginAttemptsCleanup } from './lockout/login-attempts-cleanup.job';
import { LoginAttemptsRepository } from './lockout/login-attempts.repository';
import { LoginAttempts } from './lockout/login-attempts.service';
import { PasswordHasher } from './password/password-hasher.service';
import { RecentProof } from './recent-proof/recent-proof.service';
import { SessionService } from './sessions/session.service';
import { UserDirectoryService } from './users/user-directory.service';

/**
 * Sessions, password hashing, the lockout, recent proofs and the read-only
 * user directory: what the auth module and the API-key module (RecentProof
 * before issuing a key, who may manage whose keys) both use.
 * Its own module so that auth may use the API-key module (to revoke a user's
 * keys with a password change) without an import cycle.
 */
@Module({
  imports: [DatabaseFeatureModule.forFeature([User, Session])],
  providers: [
    SessionService,
    PasswordHasher,
    LoginAttemptsRepository,
    LoginAttempts,
    LoginAttemptsCleanup,
    InSessionProofs,
    AccountLockService,
    RecentProof,
    UserDirectoryService,
  ],
  exports: [
    SessionService,
    PasswordHasher,
    LoginAttempts,
    InSessionProofs,
    AccountLockService,
    RecentProof,
    UserDirectoryService,
  ],
})
export class CredentialsModule {}
