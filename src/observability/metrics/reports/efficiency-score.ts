/** Weights of the seed's efficiency score: 70% success, 30% speed. */
export const SUCCESS_WEIGHT = 0.7;
export const SPEED_WEIGHT = 0.3;

/**
 * Speed, from 0 to 1: 1 - median run duration / speed budget, clamped to
 * [0, 1]. An agent whose typical run takes no time scores 1, one whose typical
 * run takes the whole budget (METRICS_AGENT_SPEED_BUDGET_MS) or longer scores 0,
 * linearly between. The median, not the mean, so that one stuck run does not
 * sink an agent; a fixed budget, not the fastest agent, so that an agent's
 * score never moves because of another agent.
 */
export function speedScore(medianDurationMs: number, budgetMs: number): number {
  return Math.min(1, Math.max(0, 1 - medianDurationMs / budgetMs));
}

/** The seed's efficiency score, from 0 to 1: 0.7 x success rate + 0.3 x speed score. */
export function efficiencyScore(successRate: number, speed: number): number {
  return SUCCESS_WEIGHT * successRate + SPEED_WEIGHT * speed;
}
