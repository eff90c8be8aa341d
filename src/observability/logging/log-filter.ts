import { type SqlFilter, SqlFilterBuilder } from '../../database/sql-filter';
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

/** `warning` -> critical, error, warning. */
export function levelsAtLeast(level: LogLevel): LogLevel[] {
  return LOG_LEVELS.filter((candidate) => LOG_LEVEL_SEVERITY[candidate] <= LOG_LEVEL_SEVERITY[level]);
}

/** The WHERE clause of a filtered log read, with numbered parameters starting at $1. */
export function logFilterSql(filter: LogFilter): SqlFilter {
  return (
    new SqlFilterBuilder()
      .when(filter.level && levelsAtLeast(filter.level), (p) => `level = ANY(${p}::text[])`)
      .when(filter.module, (p) => `module = ${p}`)
      .when(filter.traceId, (p) => `trace_id = ${p}`)
      .when(filter.from, (p) => `created_at >= ${p}`)
      .when(filter.to, (p) => `created_at < ${p}`)
      // strpos rather than ILIKE: the caller's % and _ are plain characters, with nothing to escape.
      .when(filter.q, (p) => `strpos(lower(message), lower(${p})) > 0`)
      .build()
  );
}
