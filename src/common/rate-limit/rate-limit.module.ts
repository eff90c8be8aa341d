import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { ExecutionContext } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { appConfig, authConfig } from '../../config';
import { RATE_LIMIT_BUDGET, type RateLimitBudget } from './rate-limit.decorator';

const MINUTE_MS = 60_000;

/**
 * Per-ip, per-route request budgets (@nestjs/throttler). Each route has its
 * own bucket; routes marked @RateLimit('login') get LOGIN_RATE_LIMIT_PER_MINUTE,
 * everything else RATE_LIMIT_PER_MINUTE. Counters live in this process.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [appConfig.KEY, authConfig.KEY],
      useFactory: (app: ConfigType<typeof appConfig>, auth: ConfigType<typeof authConfig>) => {
        const budgets: Record<RateLimitBudget, number> = {
          default: app.rateLimitPerMinute,
          login: auth.loginRateLimitPerMinute,
        };
        return {
          errorMessage: 'Too many requests; retry later',
          throttlers: [
            {
              name: 'default',
              ttl: MINUTE_MS,
              limit: (context: ExecutionContext) =>
                budgets[
                  (Reflect.getMetadata(RATE_LIMIT_BUDGET, context.getHandler()) as RateLimitBudget | undefined) ??
                    'default'
                ],
            },
          ],
        };
      },
    }),
  ],
})
export class RateLimitModule {}
