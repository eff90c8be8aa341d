import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { authConfig } from '../../config';
import { AuthException, AuthErrorCode } from '../auth.exception';
import type { AuthenticatedUser } from '../authenticated-user';
import { InSessionProofs } from '../lockout/in-session-proofs.service';
import { PasswordHasher } from '../password/password-hasher.service';
import { SessionService } from '../sessions/session.service';

/**
 * A fresh proof for what a stolen session must not do alone (enrolling MFA,
 * issuing an API key): a login within RECENT_AUTH_MINUTES, or the current
 * password sent with the request, checked as a guess of the lockout count.
 * Exported for the API-key module, which calls it before issuing a key.
 */
@Injectable()
export class RecentProof {
  constructor(
    private readonly sessions: SessionService,
    private readonly proofs: InSessionProofs,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async require(caller: AuthenticatedUser, currentPassword: string | undefined): Promise<void> {
    if (currentPassword !== undefined) {
      await this.proofs.check(
        caller.id,
        (user) => this.hasher.verify(currentPassword, user.passwordHash),
        new AuthException(AuthErrorCode.WrongCurrentPassword),
      );
      return;
    }
    const startedAt = caller.sessionId ? await this.sessions.startedAt(caller.sessionId) : undefined;
    const recentSince = this.clock.now().getTime() - this.config.recentAuthMinutes * 60_000;
    if (!startedAt || startedAt.getTime() < recentSince) throw new AuthException(AuthErrorCode.RecentProofRequired);
  }
}
