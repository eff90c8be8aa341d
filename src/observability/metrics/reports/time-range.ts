import { MetricsException, MetricsErrorCode } from '../metrics.exception';

export interface TimeRange {
  from?: Date;
  to?: Date;
}

export interface BoundedTimeRange {
  from: Date;
  to: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The range asked for, either end open; refused when it is empty. */
export function openRange(query: { from?: string; to?: string }): TimeRange {
  const range = { from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined };
  if (range.from && range.to && range.from >= range.to) throw new MetricsException(MetricsErrorCode.InvalidRange);
  return range;
}

/** The range asked for, by default the 24 hours up to now (or up to `to`). */
export function boundedRange(query: { from?: string; to?: string }, now: Date): BoundedTimeRange {
  const { from, to } = openRange(query);
  const end = to ?? now;
  const start = from ?? new Date(end.getTime() - DAY_MS);
  if (start >= end) throw new MetricsException(MetricsErrorCode.InvalidRange);
  return { from: start, to: end };
}
