import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { ConcurrencyLimiter, QueueFullError } from '../../common/concurrency/concurrency-limiter';
import { authConfig } from '../../config';
import { AuthException, AuthErrorCode } from '../auth.exception';
import { formatPbkdf2, parsePasswordHash, type ParsedPasswordHash } from './password-hash.format';

const pbkdf2Async = promisify(pbkdf2);

/** OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane. */
export const ARGON2ID_PARAMETERS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const PBKDF2_KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Logins allowed to wait for a hashing slot, per slot, before new ones are shed with 503. */
const QUEUE_PER_SLOT = 32;

/**
 * Password hashing off the event loop (libuv and argon2's own threads), with
 * at most PASSWORD_HASH_CONCURRENCY hashes at a time so that a login flood
 * cannot take every core from the rest of the API.
 */
@Injectable()
export class PasswordHasher {
  private readonly limiter: ConcurrencyLimiter;
  private dummyHash?: Promise<string>;

  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {
    this.limiter = new ConcurrencyLimiter(
      config.passwordHashConcurrency,
      config.passwordHashConcurrency * QUEUE_PER_SLOT,
    );
  }

  hash(password: string): Promise<string> {
    return this.limited(() =>
      this.config.passwordHashAlgorithm === 'argon2id'
        ? // @node-rs/argon2 defaults to argon2id (its Algorithm enum is an ambient const enum TS cannot inline here).
          argon2Hash(password, ARGON2ID_PARAMETERS)
        : this.pbkdf2Hash(password),
    );
  }

  /** Constant-time check of `password` against a stored hash; an unreadable hash never matches. */
  verify(password: string, stored: string): Promise<boolean> {
    const parsed = parsePasswordHash(stored);
    if (!parsed) return Promise.resolve(false);
    return this.limited(() => this.verifyParsed(password, parsed));
  }

  /**
   * Spends the same time as verifying a real password and returns false, so
   * that an unknown or locked account cannot be told apart by response time.
   */
  async verifyNothing(password: string): Promise<false> {
    // A dummy hash shed under load must not stay cached, or every later call would fail with it.
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex')).catch((error: unknown) => {
      this.dummyHash = undefined;
      throw error;
    });
    await this.verify(password, await this.dummyHash);
    return false;
  }

  /** True when the hash was made with weaker or other parameters than configured now. */
  needsRehash(stored: string): boolean {
    const parsed = parsePasswordHash(stored);
    if (parsed?.algorithm !== this.config.passwordHashAlgorithm) return true;
    if (parsed.algorithm === 'pbkdf2') return parsed.iterations < this.config.pbkdf2Iterations;
    return (
      parsed.memoryCost < ARGON2ID_PARAMETERS.memoryCost ||
      parsed.timeCost < ARGON2ID_PARAMETERS.timeCost ||
      parsed.parallelism < ARGON2ID_PARAMETERS.parallelism
    );
  }

  private async pbkdf2Hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const derived = await pbkdf2Async(password, salt, this.config.pbkdf2Iterations, PBKDF2_KEY_BYTES, 'sha256');
    return formatPbkdf2(this.config.pbkdf2Iterations, salt, derived);
  }

  private async verifyParsed(password: string, parsed: ParsedPasswordHash): Promise<boolean> {
    // argon2 throws on an encoded hash it cannot use (e.g. a too-short hash part): that is a mismatch, not a 500.
    if (parsed.algorithm === 'argon2id') return argon2Verify(parsed.encoded, password).catch(() => false);
    const derived = await pbkdf2Async(password, parsed.salt, parsed.iterations, parsed.hash.length, 'sha256');
    return timingSafeEqual(derived, parsed.hash);
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await this.limiter.run(task);
    } catch (error) {
      if (error instanceof QueueFullError) throw new AuthException(AuthErrorCode.ServerBusy);
      throw error;
    }
  }
}
