import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Clock } from '../common/clock/clock';
import { DomainEvents } from '../common/events/domain-events.service';
import { HmacKeyring } from '../common/keyring/hmac-keyring';
import { currentRequestClient } from '../common/request-context/request-origin';
import { type PreparedStatement, PreparedStatements } from '../database/prepared-statements.service';
import type { Permission } from '../rbac/permission';
import type { Role } from '../rbac/role';
import { parseApiKey, readablePublicId } from './api-key-format';
import { ApiKeyRefused, type ApiKeyRejectionReason } from './api-keys.events';
import { ApiKeyUsageTracker } from './api-key-usage.tracker';
import { API_KEY_PEPPERS } from './api-key-pepper.provider';

/** A key and its owner, as the check reads them. */
interface KeyRow {
  id: string;
  secret_hash: string;
  pepper_id: string;
  previous_secret_hash: string | null;
  previous_secret_pepper_id: string | null;
  previous_secret_valid_until: Date | null;
  permissions: Permission[] | null;
  expires_at: Date;
  revoked_at: Date | null;
  owner_id: string;
  username: string;
  role: Role;
  is_active: boolean;
  must_change_password: boolean;
  mfa_enabled: boolean;
}

/** Every request through a key makes this one statement, on the unique public id. */
const KEY_LOOKUP: PreparedStatement = {
  name: 'sentinel_api_key_lookup',
  text: `SELECT k.id, k.secret_hash, k.pepper_id, k.previous_secret_hash, k.previous_secret_pepper_id,
                k.previous_secret_valid_until, k.permissions, k.expires_at, k.revoked_at, k.owner_id,
                u.username, u.role, u.is_active, u.must_change_password, u.totp_secret IS NOT NULL AS mfa_enabled
           FROM api_keys k JOIN users u ON u.id = k.owner_id
          WHERE k.public_id = $1`,
};

/**
 * Checks a presented key on every request: one indexed read of the key and
 * its owner (so a revocation or deactivation is seen at once on every
 * instance), a prepared statement answering a plain row, a constant-time
 * comparison of peppered hashes, and no write.
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly logger = new Logger('ApiKeys');
  /** Pepper ids already reported missing: one log line per id, not one per request. */
  private readonly reportedPeppers = new Set<string>();

  constructor(
    private readonly statements: PreparedStatements,
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
    const key = parsed ? (await this.statements.rows<KeyRow>(KEY_LOOKUP, [parsed.publicId])).at(0) : undefined;
    const now = this.clock.now();
    const refusal = parsed ? this.refusal(key, parsed.secret, now) : 'malformed';
    if (refusal !== undefined || !key) {
      this.events.publish(
        new ApiKeyRefused(refusal ?? 'unknown', parsed?.publicId ?? readablePublicId(candidate), key?.id),
      );
      return undefined;
    }
    this.usage.record(key.id, now, currentRequestClient().ip ?? undefined);
    return {
      id: key.owner_id,
      username: key.username,
      role: key.role,
      apiKeyId: key.id,
      apiKeyPermissions: key.permissions ?? undefined,
      mustChangePassword: key.must_change_password,
      mfaEnabled: key.mfa_enabled,
    };
  }

  /** Why a well-formed key is refused; the secret is checked first, so only its holder can learn more. */
  private refusal(key: KeyRow | undefined, secret: string, now: Date): ApiKeyRejectionReason | undefined {
    if (!key) return 'unknown';
    const match = this.secretMatches(key, secret, now);
    if (match !== true) return match;
    if (key.revoked_at) return 'revoked';
    if (key.expires_at <= now) return 'expired';
    if (!key.is_active) return 'owner_inactive';
    return undefined;
  }

  /** Each stored hash is checked under the pepper its row names; one whose pepper is gone cannot match. */
  private secretMatches(key: KeyRow, secret: string, now: Date): true | 'bad_secret' | 'unknown_pepper' {
    const current = this.hashMatches(secret, key.secret_hash, key.pepper_id);
    const previous =
      key.previous_secret_hash !== null &&
      key.previous_secret_pepper_id !== null &&
      key.previous_secret_valid_until !== null &&
      key.previous_secret_valid_until > now
        ? this.hashMatches(secret, key.previous_secret_hash, key.previous_secret_pepper_id)
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
