import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { HmacKeyring } from '../common/keyring/hmac-keyring';
import { currentRequestClient } from '../common/request-context/request-origin';
import { parseApiKey, readablePublicId } from './api-key-format';
import { ApiKeyRefused, type ApiKeyRejectionReason } from './api-keys.events';
import { ApiKeyUsageTracker } from './api-key-usage.tracker';
import { API_KEY_PEPPERS } from './api-key-pepper.provider';
import { ApiKey } from './entities/api-key.entity';

/**
 * Checks a presented key on every request: one indexed read of the key and
 * its owner (so a revocation or deactivation is seen at once on every
 * instance), a constant-time comparison of peppered hashes, and no write.
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly logger = new Logger('ApiKeys');
  /** Pepper ids already reported missing: one log line per id, not one per request. */
  private readonly reportedPeppers = new Set<string>();

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    @Inject(API_KEY_PEPPERS) private readonly peppers: HmacKeyring,
    private readonly usage: ApiKeyUsageTracker,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  /** The stored hash of a new secret, under the newest pepper, and that pepper's id. */
  hashSecret(secret: string): { hash: string; pepperId: string } {
    const { id, value } = this.peppers.current;
    return { hash: hmac(value, secret), pepperId: id };
  }

  /** The key's owner acting through the key, or undefined (and a rejection event) when it is refused. */
  async verify(candidate: string): Promise<AuthenticatedUser | undefined> {
    const parsed = parseApiKey(candidate);
    const key = parsed
      ? await this.keys
          .createQueryBuilder('key')
          .innerJoinAndSelect('key.owner', 'owner')
          .where('key.public_id = :publicId', { publicId: parsed.publicId })
          .getOne()
      : null;
    const now = this.clock.now();
    const refusal = parsed ? this.refusal(key, parsed.secret, now) : 'malformed';
    if (refusal !== undefined || !key?.owner) {
      this.events.publish(
        new ApiKeyRefused(refusal ?? 'unknown', parsed?.publicId ?? readablePublicId(candidate), key?.id),
      );
      return undefined;
    }
    this.usage.record(key.id, now, currentRequestClient().ip ?? undefined);
    return {
      id: key.owner.id,
      username: key.owner.username,
      role: key.owner.role,
      apiKeyId: key.id,
      apiKeyPermissions: key.permissions ?? undefined,
      mustChangePassword: key.owner.mustChangePassword,
      mfaEnabled: key.owner.mfaEnabled,
    };
  }

  /** Why a well-formed key is refused; the secret is checked first, so only its holder can learn more. */
  private refusal(key: ApiKey | null, secret: string, now: Date): ApiKeyRejectionReason | undefined {
    if (!key?.owner) return 'unknown';
    const match = this.secretMatches(key, secret, now);
    if (match !== true) return match;
    if (key.revokedAt) return 'revoked';
    if (key.expiresAt <= now) return 'expired';
    if (!key.owner.isActive) return 'owner_inactive';
    return undefined;
  }

  /** Each stored hash is checked under the pepper its row names; one whose pepper is gone cannot match. */
  private secretMatches(key: ApiKey, secret: string, now: Date): true | 'bad_secret' | 'unknown_pepper' {
    const current = this.hashMatches(secret, key.secretHash, key.pepperId);
    const previous =
      key.previousSecretHash !== null &&
      key.previousSecretPepperId !== null &&
      key.previousSecretValidUntil !== null &&
      key.previousSecretValidUntil > now
        ? this.hashMatches(secret, key.previousSecretHash, key.previousSecretPepperId)
        : false;
    if (current === true || previous === true) return true;
    return current === undefined ? 'unknown_pepper' : 'bad_secret';
  }

  /** undefined when the pepper is not configured (reported once per id). */
  private hashMatches(secret: string, storedHash: string, pepperId: string): boolean | undefined {
    const pepper = this.peppers.find(pepperId);
    if (pepper === undefined) {
      this.reportMissingPepper(pepperId);
      return undefined;
    }
    const stored = Buffer.from(storedHash, 'hex');
    const presented = Buffer.from(hmac(pepper, secret), 'hex');
    return stored.length === presented.length && timingSafeEqual(presented, stored);
  }

  private reportMissingPepper(pepperId: string): void {
    if (this.reportedPeppers.has(pepperId)) return;
    this.reportedPeppers.add(pepperId);
    this.logger.error(
      `API keys hashed under pepper id "${pepperId}" are refused: API_KEY_PEPPER does not list it ` +
        '(keep an old pepper listed until its keys are rotated or expired)',
    );
  }
}

function hmac(key: string, secret: string): string {
  return createHmac('sha256', key).update(secret).digest('hex');
}
