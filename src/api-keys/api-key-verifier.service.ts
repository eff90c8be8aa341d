import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { currentRequestClient } from '../common/request-context/request-origin';
import { parseApiKey, readablePublicId } from './api-key-format';
import { ApiKeyRefused, type ApiKeyRejectionReason } from './api-keys.events';
import { ApiKeyUsageTracker } from './api-key-usage.tracker';
import { API_KEY_PEPPER } from './api-key-pepper.provider';
import { ApiKey } from './entities/api-key.entity';

/**
 * Checks a presented key on every request: one indexed read of the key and
 * its owner (so a revocation or deactivation is seen at once on every
 * instance), a constant-time comparison of peppered hashes, and no write.
 */
@Injectable()
export class ApiKeyVerifier {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    @Inject(API_KEY_PEPPER) private readonly pepper: string,
    private readonly usage: ApiKeyUsageTracker,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  hashSecret(secret: string): string {
    return createHmac('sha256', this.pepper).update(secret).digest('hex');
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
    if (!this.secretMatches(key, secret, now)) return 'bad_secret';
    if (key.revokedAt) return 'revoked';
    if (key.expiresAt <= now) return 'expired';
    if (!key.owner.isActive) return 'owner_inactive';
    return undefined;
  }

  private secretMatches(key: ApiKey, secret: string, now: Date): boolean {
    const presented = Buffer.from(this.hashSecret(secret), 'hex');
    const current = timingSafeEqual(presented, Buffer.from(key.secretHash, 'hex'));
    const previous =
      key.previousSecretHash !== null &&
      key.previousSecretValidUntil !== null &&
      key.previousSecretValidUntil > now &&
      timingSafeEqual(presented, Buffer.from(key.previousSecretHash, 'hex'));
    return current || previous;
  }
}
