export interface SamplingPolicy {
  /** Share of ordinary requests kept, 0 to 1. */
  sampleRate: number;
  /** A request at least this slow is always kept. */
  slowRequestMs: number;
}

/**
 * How many requests a stored record of this one stands for; 0 means it is not
 * stored. Errors (any status of 400 or more: 4xx show broken clients and
 * probing, 5xx our own faults) and slow requests are always kept, weight 1.
 * An ordinary request is kept with probability sampleRate and then stands for
 * 1 / sampleRate requests, so weighted sums estimate the true counts.
 */
export function sampleWeight(
  statusCode: number,
  durationMs: number,
  policy: SamplingPolicy,
  random: () => number = Math.random,
): number {
  if (statusCode >= 400 || durationMs >= policy.slowRequestMs) return 1;
  if (policy.sampleRate > 0 && random() < policy.sampleRate) return 1 / policy.sampleRate;
  return 0;
}
