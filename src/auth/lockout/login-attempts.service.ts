import { setTimeout as delay } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { currentRequestClient } from '../../common/request-context/request-origin';
import { Transactions } from '../../database/transactions/transactions.service';
import { AccountLocked } from '../auth.events';
import { AuthException, AuthErrorCode } from '../auth.exception';
import type { User } from '../entities/user.entity';
import { type AttemptSettlement, LoginAttemptsRepository } from './login-attempts.repository';
import type { AttemptOutcome } from './lockout-policy';

/** A reserved password check: the user it is for, from which client, and whether it may run. */
export interface AttemptReservation {
  user: User;
  /** The (account, ip) pair's key: the client's address, or one shared key when it has none. */
  clientKey: string;
  clientIp: string | null;
  granted: boolean;
}

/** Requests without a usable address share one pair per account. */
const UNKNOWN_CLIENT = 'unknown';
/**
 * An attempt refused only because others are in flight asks again until they
 * settle (a burst of right passwords from one client must not be refused),
 * every RETRY_MS, for at most WAIT_MS (about ten hashes at the default cost).
 */
const RETRY_MS = 25;
const WAIT_MS = 3_000;

/**
 * Reserves a password check before its hash runs and settles it after
 * (lockout-policy.ts says when an account locks). A reservation commits at
 * once, outside the request's transaction, so every instance sees it.
 */
@Injectable()
export class LoginAttempts {
  constructor(
    private readonly repository: LoginAttemptsRepository,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  /** Undefined when there is no such user; 503 when attempts in flight keep the room full too long. */
  reserve(who: { userId: string } | { username: string }): Promise<AttemptReservation | undefined> {
    const { clientIp, clientKey } = requestClient();
    const giveUpAt = performance.now() + WAIT_MS;
    return this.transactions.outside(async () => {
      for (;;) {
        const reserved = await this.repository.reserve(who, clientKey, this.clock.now());
        if (!reserved?.busy) return reserved && { user: reserved.user, granted: reserved.granted, clientKey, clientIp };
        if (performance.now() >= giveUpAt) throw new AuthException(AuthErrorCode.ServerBusy);
        await delay(RETRY_MS);
      }
    });
  }

  /**
   * Settles a granted reservation. A failure is committed even though the
   * request then fails; a success joins the request's transaction (the
   * session and its audit row commit with it).
   */
  async settle(reservation: AttemptReservation, outcome: AttemptOutcome): Promise<AttemptSettlement> {
    if (outcome === 'failure' || outcome === 'release') this.transactions.commitOnFailure();
    const settled = await this.repository.settle(reservation.user.id, client(reservation), this.clock.now(), outcome);
    if (settled.locked) {
      const { user } = reservation;
      const { scope, until, failures } = settled.locked;
      this.events.publish(new AccountLocked(user.id, user.username, until, failures, scope));
    }
    return settled;
  }

  /**
   * Settles an attempt refused before any check (`reservation` undefined: no
   * such user; else not granted), in the request's transaction, committed
   * although the request fails: a refusal then costs what a wrong password on
   * a real account does, and the timing tells no one which accounts exist.
   */
  async settleRefused(reservation: AttemptReservation | undefined): Promise<void> {
    this.transactions.commitOnFailure();
    const clientKey = reservation?.clientKey ?? requestClient().clientKey;
    await this.repository.settleRefused(reservation?.user.id, clientKey, this.clock.now());
  }

  /** Gives a reservation back when its check could not be made (an error): committed at once, apart. */
  async release(reservation: AttemptReservation): Promise<void> {
    await this.transactions.outside(() =>
      this.repository.settle(reservation.user.id, client(reservation), this.clock.now(), 'release'),
    );
  }
}

function requestClient(): { clientIp: string | null; clientKey: string } {
  const clientIp = currentRequestClient().ip;
  return { clientIp, clientKey: clientIp ?? UNKNOWN_CLIENT };
}

function client(reservation: AttemptReservation): { key: string; loginIp: string | null } {
  return { key: reservation.clientKey, loginIp: reservation.clientIp };
}
