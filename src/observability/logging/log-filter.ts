import { LOG_LEVELS, type LogLevel } from '../../config/logging.config';
import { LOG_LEVEL_SEVERITY } from './winston.factory';

/** What a reader may narrow stored log entries by. */
export interface LogFilter {
  /** This level and every more severe one. */
  level?: LogLevel;
  module?: string;
  traceId?: string;
  /** Inclusive. */
  from?: string;
  /** Exclusive. */
  to?: string;
  /** Case-insensitive substring of the message. */
  q?: string;
}

export interface SqlFilter {
  where: string;
  params: unknown[];
}

/** `warning` -> critical, error, warning. */
export function levelsAtLeast(level: LogLevel): LogLevel[] {
  return LOG_LEVELS.filter((candidate) => LOG_LEVEL_SEVERITY[candidate] <= LOG_LEVEL_SEVERITY[level]);
}

/** The WHERE clause of a filtered log read, with numbered parameters starting at $1. */
export function logFilterSql(filter: LogFilter): SqlFilter {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.level) add((p) => `level = ANY(${p}::text[])`, levelsAtLeast(filter.level));
  if (filter.module) add((p) => `module = ${p}`, filter.module);
  if (filter.traceId) add((p) => `trace_id = ${p}`, filter.traceId);
  if (filter.from) add((p) => `created_at >= ${p}`, filter.from);
  if (filter.to) add((p) => `created_at < ${p}`, filter.to);
  // strpos rather than ILIKE: the caller's % and _ are plain characters, with nothing to escape.
  if (filter.q) add((p) => `strpos(lower(message), lower(${p})) > 0`, filter.q);
  return { where: conditions.length > 0 ? conditions.join(' AND ') : 'true', params };
}
