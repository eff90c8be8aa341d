import { Injectable } from '@nestjs/common';
import { PasswordStrengthEstimator } from './password-strength.estimator';

export const MIN_PASSWORD_LENGTH = 12;
/** Longer is no stronger in practice, and every character costs the hash and the estimator. */
export const MAX_PASSWORD_LENGTH = 256;
/**
 * zxcvbn's cost grows steeply with length (a 1024-character password held the
 * event loop for seconds): it runs in a worker, on this prefix only, already far
 * beyond any score threshold, so one long password cannot keep the worker either.
 */
const ESTIMATED_PREFIX_LENGTH = 100;
/** zxcvbn's "safely unguessable" (about 10^10 guesses) and above. */
const MIN_STRENGTH_SCORE = 3;

export interface PasswordOwner {
  username: string;
  email?: string;
  displayName?: string | null;
}

/**
 * The rule every new password meets: 12 to 256 characters, not the
 * username, and not guessable by a maintained strength estimator (zxcvbn-ts,
 * with common and English dictionaries and the owner's own names as hints).
 */
@Injectable()
export class PasswordPolicy {
  constructor(private readonly estimator: PasswordStrengthEstimator) {}

  /** Returns what is wrong with `password`, or undefined when it is acceptable. */
  async problem(password: string, owner: PasswordOwner): Promise<string | undefined> {
    if (password.length < MIN_PASSWORD_LENGTH)
      return `Password must be at least ${MIN_PASSWORD_LENGTH} characters long`;
    if (password.length > MAX_PASSWORD_LENGTH) return `Password must be at most ${MAX_PASSWORD_LENGTH} characters long`;
    if (password.toLowerCase().includes(owner.username.toLowerCase())) return 'Password must not contain the username';
    const names = [owner.username, owner.email, owner.displayName].filter((hint): hint is string => Boolean(hint));
    // zxcvbn matches a hint only as a whole, so each word of a name counts too ("Ada Lovelace" -> "ada", "lovelace").
    const hints = [
      ...names,
      ...names.flatMap((name) => name.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length >= 3)),
    ];
    const result = await this.estimator.estimate(password.slice(0, ESTIMATED_PREFIX_LENGTH), hints);
    if (result.score >= MIN_STRENGTH_SCORE) return undefined;
    const advice = [result.warning, ...result.suggestions].filter(Boolean).join(' ');
    return `Password is too easy to guess${advice ? `: ${advice}` : ''}`;
  }
}
