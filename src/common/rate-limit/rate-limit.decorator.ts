import { SetMetadata } from '@nestjs/common';

/** The configured budgets a route can be held to, per client ip and minute. */
export type RateLimitBudget = 'default' | 'login';

export const RATE_LIMIT_BUDGET = 'sentinel:rateLimitBudget';

/** Holds a route to a stricter per-ip budget than the API default (e.g. 'login'). */
export const RateLimit = (budget: RateLimitBudget): MethodDecorator => SetMetadata(RATE_LIMIT_BUDGET, budget);

export const RATE_LIMIT_EXEMPT = 'sentinel:rateLimitExempt';

/**
 * Counts no request of this route: only for a route that must answer whatever
 * the counters' store does and costs nothing to serve (liveness).
 */
export const NoRateLimit = (): MethodDecorator => SetMetadata(RATE_LIMIT_EXEMPT, true);
