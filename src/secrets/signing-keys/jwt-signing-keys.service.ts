import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Or, type Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { authConfig, tokensConfig } from '../../config';
import type { ManagedJwtAlgorithm } from '../../config/tokens.config';
import { Transactions } from '../../database/transactions/transactions.service';
import { MASTER_KEYRING, type MasterKeyring } from '../keyring/master-keyring';
import { JwtSigningKeyRotated } from '../secrets.events';
import { JwtSigningKey } from './jwt-signing-key.entity';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** How often an instance re-reads which key signs (another instance may have rotated it). */
const SIGNER_REFRESH_MS = 60_000;
/** An unknown kid is looked up at most this often, so random kids cannot make every request a query. */
const MISS_TTL_MS = 30_000;
/** Unknown kids remembered at most: beyond it the oldest is forgotten, so random kids cannot grow the heap. */
const MISSES_MAX = 10_000;
/** A kid as jwt_signing_keys.kid's CHECK allows it: anything else (a NUL, 4 KB) names no key and is not looked up. */
const KID_SHAPE = /^[A-Za-z0-9_-]{8,64}$/;

export const signingKeyPurpose = (kid: string): string => `jwt-signing-key:${kid}`;

export interface Signer {
  kid: string;
  algorithm: ManagedJwtAlgorithm;
  privateKey: KeyObject;
}

export interface Verifier {
  algorithm: ManagedJwtAlgorithm;
  publicKey: KeyObject;
  verifyUntil: Date | null;
}

/**
 * The app's JWT signing keys as managed keys: one pair signs, retired pairs
 * keep verifying until the longest-lived token they signed has expired
 * (SESSION_TTL_HOURS). Imported KeyObjects are cached by kid, so a request
 * costs a signature check, never a key import or a query.
 */
@Injectable()
export class JwtSigningKeys implements OnApplicationBootstrap, OnApplicationShutdown {
  private signer?: Signer;
  private refreshTimer?: NodeJS.Timeout;
  private readonly verifiers = new Map<string, Verifier>();
  private readonly misses = new Map<string, number>();

  constructor(
    @InjectRepository(JwtSigningKey) private readonly keys: Repository<JwtSigningKey>,
    @Inject(MASTER_KEYRING) private readonly keyring: MasterKeyring,
    @Inject(tokensConfig.KEY) private readonly config: ConfigType<typeof tokensConfig>,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  /**
   * The signer is loaded at start and refreshed on a timer, never on the request
   * path: a login signs inside its transaction, holding its user's row, and a
   * query for the key there would need a second pooled connection while other
   * logins of that user hold the rest waiting on the row (a pool deadlock).
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.algorithm === 'HS256') return;
    // A key this keyring cannot open (a master key missing from it) is refused where it is used, not at start.
    await this.loadSigner().catch(() => undefined);
    this.refreshTimer = setInterval(() => {
      this.loadSigner().catch(() => undefined);
    }, SIGNER_REFRESH_MS);
    this.refreshTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.refreshTimer);
  }

  /** The key that signs now (created on first use). */
  async current(): Promise<Signer> {
    return this.signer ?? this.loadSigner();
  }

  private async loadSigner(): Promise<Signer> {
    const row =
      (await this.transactions.outside(() => this.keys.findOne({ where: { retiredAt: IsNull() } }))) ??
      (await this.create());
    this.signer = this.signerOf(row);
    return this.signer;
  }

  private rememberMiss(kid: string): void {
    this.misses.delete(kid);
    if (this.misses.size >= MISSES_MAX) this.misses.delete(this.misses.keys().next().value as string);
    this.misses.set(kid, Date.now());
  }

  private signerOf(row: JwtSigningKey): Signer {
    return { kid: row.kid, algorithm: row.algorithm, privateKey: this.privateKeyOf(row) };
  }

  /** The public key of `kid` while its tokens may still be valid; undefined otherwise. */
  async verifier(kid: string): Promise<Verifier | undefined> {
    const now = this.clock.now();
    const cached = this.verifiers.get(kid);
    if (cached) return cached.verifyUntil && cached.verifyUntil <= now ? undefined : cached;
    if (!KID_SHAPE.test(kid)) return undefined;
    const missedAt = this.misses.get(kid);
    if (missedAt !== undefined && Date.now() - missedAt < MISS_TTL_MS) return undefined;
    const row = await this.transactions.outside(() => this.keys.findOne({ where: { kid } }));
    if (!row) {
      this.rememberMiss(kid);
      return undefined;
    }
    const verifier = {
      algorithm: row.algorithm,
      publicKey: createPublicKey({ key: row.publicJwk, format: 'jwk' }),
      verifyUntil: row.verifyUntil,
    };
    this.verifiers.set(kid, verifier);
    return verifier.verifyUntil && verifier.verifyUntil <= now ? undefined : verifier;
  }

  /** The public keys a verifier may need now: the signing one and those still verifying. */
  async published(): Promise<JwtSigningKey[]> {
    return this.keys.find({
      where: { verifyUntil: Or(IsNull(), MoreThan(this.clock.now())) },
      order: { createdAt: 'DESC' },
    });
  }

  /** A new pair signs from now on; the previous one verifies until its last token expires. */
  async rotate(trigger: 'manual' | 'schedule'): Promise<string> {
    return this.transactions.run(async () => {
      const now = this.clock.now();
      const previous = await this.keys.findOne({ where: { retiredAt: IsNull() }, lock: { mode: 'pessimistic_write' } });
      if (previous) {
        await this.keys.update(
          { kid: previous.kid },
          { retiredAt: now, verifyUntil: new Date(now.getTime() + this.auth.sessionTtlHours * HOUR_MS) },
        );
        // Evicted so this instance learns the new verify_until.
        this.verifiers.delete(previous.kid);
      }
      const created = await this.insert(now);
      // The new key signs from the next token on, once it is committed (never one a rollback undid).
      this.transactions.current?.onAfterCommit(() => {
        this.signer = this.signerOf(created);
      });
      this.events.publish(new JwtSigningKeyRotated(created.kid, previous?.kid ?? null, trigger));
      return created.kid;
    });
  }

  /** Whether the signing key is older than JWT_KEY_ROTATION_DAYS. */
  async rotationDue(): Promise<boolean> {
    const active = await this.keys.findOne({ where: { retiredAt: IsNull() } });
    return !active || this.clock.now().getTime() - active.createdAt.getTime() >= this.config.keyRotationDays * DAY_MS;
  }

  /** Forgets what this instance cached (after another instance rotated, or in tests). */
  forget(): void {
    this.signer = undefined;
    this.verifiers.clear();
    this.misses.clear();
  }

  private async create(): Promise<JwtSigningKey> {
    // Another instance may create the first key at the same moment: the partial unique index lets one win.
    try {
      return await this.transactions.outside(() => this.insert(this.clock.now()));
    } catch {
      return this.keys.findOneOrFail({ where: { retiredAt: IsNull() } });
    }
  }

  private async insert(now: Date): Promise<JwtSigningKey> {
    const algorithm: ManagedJwtAlgorithm = this.config.algorithm === 'ES256' ? 'ES256' : 'EdDSA';
    const pair =
      algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    const kid = randomBytes(12).toString('base64url');
    const sealed = this.keyring.wrap(pair.privateKey.export({ format: 'der', type: 'pkcs8' }), signingKeyPurpose(kid));
    const row = this.keys.create({
      kid,
      algorithm,
      publicJwk: pair.publicKey.export({ format: 'jwk' }) as Record<string, string>,
      privateKeySealed: sealed.wrapped,
      masterKeyId: sealed.masterKeyId,
      createdAt: now,
      retiredAt: null,
      verifyUntil: null,
    });
    await this.keys.insert(row);
    return row;
  }

  private privateKeyOf(row: JwtSigningKey): KeyObject {
    const der = this.keyring.unwrap(
      { masterKeyId: row.masterKeyId, wrapped: row.privateKeySealed },
      signingKeyPurpose(row.kid),
    );
    if (!der)
      throw new Error(
        `JWT signing key ${row.kid} does not unwrap: its master key is not in the keyring, or it was altered`,
      );
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }
}
