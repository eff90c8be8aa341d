import { Injectable } from '@nestjs/common';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary, translations } from '@zxcvbn-ts/language-en';

export const MIN_PASSWORD_LENGTH = 12;
/** zxcvbn's "safely unguessable" (about 10^10 guesses) and above. */
const MIN_STRENGTH_SCORE = 3;

export interface PasswordOwner {
  username: string;
  email?: string;
  displayName?: string | null;
}

/**
 * The rule every new password meets: at least 12 characters, not the
 * username, and not guessable by a maintained strength estimator (zxcvbn-ts,
 * with common and English dictionaries and the owner's own names as hints).
 */
@Injectable()
export class PasswordPolicy {
  private readonly estimator = new ZxcvbnFactory({
    dictionary: { ...commonDictionary, ...englishDictionary },
    graphs: adjacencyGraphs,
    translations,
  });

  /** Returns what is wrong with `password`, or undefined when it is acceptable. */
  problem(password: string, owner: PasswordOwner): string | undefined {
    if (password.length < MIN_PASSWORD_LENGTH)
      return `Password must be at least ${MIN_PASSWORD_LENGTH} characters long`;
    if (password.toLowerCase().includes(owner.username.toLowerCase())) return 'Password must not contain the username';
    const names = [owner.username, owner.email, owner.displayName].filter((hint): hint is string => Boolean(hint));
    // zxcvbn matches a hint only as a whole, so each word of a name counts too ("Ada Lovelace" -> "ada", "lovelace").
    const hints = [
      ...names,
      ...names.flatMap((name) => name.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length >= 3)),
    ];
    const result = this.estimator.check(password, hints);
    if (result.score >= MIN_STRENGTH_SCORE) return undefined;
    const advice = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ');
    return `Password is too easy to guess${advice ? `: ${advice}` : ''}`;
  }
}
