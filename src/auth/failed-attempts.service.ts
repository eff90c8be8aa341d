import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { authConfig } from '../config';
import { AccountLocked } from './auth.events';
import type { User } from './entities/user.entity';
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
    private readonly events: DomainEvents,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  async record(user: User): Promise<FailedAttemptOutcome> {
    const outcome = await this.credentials.recordFailedAttempt(
      user.id,
      this.clock.now(),
      this.config.maxFailedAttempts,
      this.config.lockoutMinutes * 60_000,
    );
    if (outcome.lockedNow && outcome.lockedUntil) {
      this.events.publish(new AccountLocked(user.id, user.username, outcome.lockedUntil, outcome.failedAttempts));
    }
    return outcome;
  }
}
