/**
 * When an account locks (the rules; the mechanics are the two SQL functions of
 * migration 1795910000000, called by LoginAttemptsRepository):
 *
 * - Every password check (a login, or a proof inside a session: changing the
 *   password, turning MFA off, a recent-proof password) first reserves an
 *   attempt in PostgreSQL, before the hash runs. A reservation is refused, and
 *   the password never checked, while the account or the (account, client ip)
 *   pair is locked or when the attempts in flight would pass a threshold: so no
 *   more than `maxFailedAttempts` guesses per pair are ever checked in a window,
 *   whatever the concurrency or the number of instances.
 * - `maxFailedAttempts` failures from one client ip lock that pair only: an
 *   attacker locks themselves out, not the owner typing from elsewhere.
 * - `maxFailedAttemptsPerAccount` failures from all ips together lock the
 *   account for everyone (a distributed guess). One ip adds at most its first
 *   `maxFailedAttempts` of a window to that count, so locking an owner out takes
 *   at least per-account / per-client addresses (10 by default).
 * - The n-th lock in a row lasts n x `lockoutMinutes`, at most `maxLockoutMinutes`.
 * - Failures and the count of locks are forgotten `failureResetMinutes` after
 *   the last attempt or the end of the last lock; a success forgets them at once,
 *   unless a lock came first (a correct password then is refused too).
 * - With `permanentLockoutAfter` > 0, that many account-wide locks (client
 *   locks do not count: one ip alone must not lock the owner out for good) lock the account
 *   until an admin (POST /users/:id/unlock) or `npm run sentinel -- users unlock`
 *   lifts it. Off by default: anyone who knows a username could otherwise lock it for good.
 */
export interface LockoutPolicy {
  maxFailedAttempts: number;
  maxFailedAttemptsPerAccount: number;
  lockoutMinutes: number;
  maxLockoutMinutes: number;
  failureResetMinutes: number;
  permanentLockoutAfter: number;
}

/** Which lock a failure set: the (account, ip) pair's, the whole account's, or the account's for good. */
export type LockScope = 'client' | 'account' | 'permanent';

/**
 * What a password check ended as, for the count: counted, forgotten with the rest (a login also
 * records its time and ip on the user), or given back uncounted.
 */
export type AttemptOutcome = 'failure' | 'success' | 'login' | 'release';
