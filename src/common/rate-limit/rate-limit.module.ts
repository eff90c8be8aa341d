import { Module } from '@nestjs/common';
import { PostgresThrottlerStorage } from './postgres-throttler.storage';
import { RateLimitCleanup } from './rate-limit-cleanup.service';
import { RateLimitHook } from './rate-limit.hook';
import { RateLimiter } from './rate-limiter.service';

/**
 * Per-ip, per-route request budgets for the whole cluster: routes marked
 * @RateLimit('login') get LOGIN_RATE_LIMIT_PER_MINUTE, every other route and
 * every request that matches none RATE_LIMIT_PER_MINUTE. Counted in Redis when
 * REDIS_URL is set, in PostgreSQL otherwise; enforced before routing by
 * RateLimitHook.
 */
@Module({
  providers: [PostgresThrottlerStorage, RateLimiter, RateLimitHook, RateLimitCleanup],
})
export class RateLimitModule {}
