import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { appConfig, authConfig } from '../../config';
import type { RateLimitBudget } from './rate-limit.decorator';
import { PostgresThrottlerStorage } from './postgres-throttler.storage';

const WINDOW_MS = 60_000;
/** How long a Redis command may take before the limiter treats Redis as down. */
const REDIS_TIMEOUT_MS = 500;

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Neither store could count a hit on a budget that must not fail open. */
export class RateLimitUnavailableError extends Error {}

/**
 * Counts requests per key in fixed one-minute windows, in the one store every
 * instance shares: Redis when REDIS_URL is set (@nest-lab/throttler-storage-redis,
 * one Lua script per hit), PostgreSQL otherwise (one upsert per hit), so N
 * instances hold one limit.
 *
 * When the store fails: the API-wide budget fails open (requests pass, logged
 * once per outage) so an outage of a counter never takes the API down; the
 * login budget never fails open: with Redis down it is counted in PostgreSQL,
 * and if that fails too the login is refused with 503.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly budgets: Record<RateLimitBudget, number>;
  private readonly redis?: Redis;
  private readonly primary: ThrottlerStorage;
  private failing = false;

  constructor(
    private readonly postgres: PostgresThrottlerStorage,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
  ) {
    this.budgets = { default: app.rateLimitPerMinute, login: auth.loginRateLimitPerMinute };
    if (app.redisUrl) {
      this.redis = new Redis(app.redisUrl, {
        // Fail fast while Redis is unreachable instead of queueing every request behind reconnects.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: REDIS_TIMEOUT_MS,
        connectTimeout: REDIS_TIMEOUT_MS * 4,
        keyPrefix: 'sentinel:rate-limit:',
      });
      this.redis.on('error', (error: Error) => {
        this.outage(`Redis: ${error.message}`);
      });
      this.primary = new ThrottlerStorageRedisService(this.redis);
    } else {
      this.primary = postgres;
    }
  }

  /** Counts one request against `key` under `budget`'s per-minute limit. */
  async hit(budget: RateLimitBudget, key: string): Promise<RateLimitDecision> {
    const limit = this.budgets[budget];
    try {
      const record = await this.primary.increment(key, WINDOW_MS, limit, WINDOW_MS, budget);
      this.recovered();
      return decision(record);
    } catch (error) {
      this.outage(describe(error));
      if (budget === 'default') return { allowed: true };
      if (this.primary === this.postgres) throw new RateLimitUnavailableError(describe(error));
      return this.hitInPostgres(key, limit);
    }
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect(false);
  }

  private async hitInPostgres(key: string, limit: number): Promise<RateLimitDecision> {
    try {
      return decision(await this.postgres.increment(key, WINDOW_MS, limit));
    } catch (error) {
      throw new RateLimitUnavailableError(describe(error));
    }
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.log('rate-limit counters reachable again');
  }

  /** Logs the first failure of an outage only, not one line per request. */
  private outage(reason: string): void {
    if (this.failing) return;
    this.failing = true;
    const logins = this.redis ? 'logins are counted in PostgreSQL' : 'logins are refused';
    this.logger.warn(`rate-limit counters unreachable (${reason}): the API-wide limit is not enforced, ${logins}`);
  }
}

function decision(record: { isBlocked: boolean; timeToBlockExpire: number }): RateLimitDecision {
  return record.isBlocked
    ? { allowed: false, retryAfterSeconds: Math.max(1, record.timeToBlockExpire) }
    : { allowed: true };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
