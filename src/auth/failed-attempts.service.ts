import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Clock } from '../common/clock/clock';
import { authConfig } from '../config';
import type { User } from './entities/user.entity';
import { type AccountLockedEvent, AuthEvent, type RequestOrigin } from './events/auth.events';
import { type FailedAttemptOutcome, UserCredentialsRepository } from './user-credentials.repository';

/**
 * Counts a wrong password or code toward the lockout, wherever it is typed:
 * at login, and also where a signed-in session must prove the password again
 * (changing it, turning MFA off), so a stolen session cannot guess freely.
 */
@Injectable()
export class FailedAttemptsService {
  constructor(
    private readonly credentials: UserCredentialsRepository,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async record(user: User, origin: RequestOrigin): Promise<FailedAttemptOutcome> {
    const outcome = await this.credentials.recordFailedAttempt(
      user.id,
      this.clock.now(),
      this.config.maxFailedAttempts,
      this.config.lockoutMinutes * 60_000,
    );
    if (outcome.lockedNow && outcome.lockedUntil) {
      const event: AccountLockedEvent = {
        userId: user.id,
        username: user.username,
        lockedUntil: outcome.lockedUntil,
        failedAttempts: outcome.failedAttempts,
        ...origin,
      };
      this.events.emit(AuthEvent.AccountLocked, event);
    }
    return outcome;
  }
}
