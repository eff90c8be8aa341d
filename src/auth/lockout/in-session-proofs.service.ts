import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions/transactions.service';
import { AuthException, AuthErrorCode } from '../auth.exception';
import type { User } from '../entities/user.entity';
import { SessionService } from '../sessions/session.service';
import { LoginAttempts } from './login-attempts.service';

/**
 * A password or code typed inside a session (changing the password, turning
 * MFA off, a recent proof) is a guess like a login's: it takes an attempt of
 * the same count, is refused unchecked while the account or this client is
 * locked, and a failure that locks ends every session of the user.
 */
@Injectable()
export class InSessionProofs {
  constructor(
    private readonly attempts: LoginAttempts,
    private readonly sessions: SessionService,
    private readonly transactions: Transactions,
  ) {}

  /** The user as read with the reservation, once `prove` held for them; throws `wrong` when it did not. */
  async check(userId: string, prove: (user: User) => Promise<boolean>, wrong: AuthException): Promise<User> {
    const reservation = await this.attempts.reserve({ userId });
    if (!reservation) throw new AuthException(AuthErrorCode.Unauthenticated);
    if (!reservation.granted) throw new AuthException(AuthErrorCode.AccountLocked);
    let proven: boolean;
    try {
      // Apart from the request's transaction, like the settlement after it: a TOTP step claimed there would
      // hold the user's row that the settlement must lock from another connection.
      proven = await this.transactions.outside(() => prove(reservation.user));
    } catch (error) {
      await this.attempts.release(reservation);
      throw error;
    }
    // A success commits apart: the change that follows (a new hash) must not hold the user's row meanwhile.
    const settled = proven
      ? await this.transactions.outside(() => this.attempts.settle(reservation, 'success'))
      : await this.attempts.settle(reservation, 'failure');
    if (settled.refused) throw new AuthException(AuthErrorCode.AccountLocked);
    if (settled.locked) await this.sessions.revokeAll(userId, 'account_locked');
    if (!proven) throw wrong;
    return reservation.user;
  }
}
