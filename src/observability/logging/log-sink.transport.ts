import TransportStream from 'winston-transport';
import type { LogLevel } from '../../config/logging.config';

/** One log entry as a sink (the log store) receives it: already redacted and stamped with its trace id. */
export interface LogRecord {
  createdAt: Date;
  level: LogLevel;
  message: string;
  module: string | null;
  traceId: string | null;
  /** The entry's context data; an error's stack is kept here as `stack`. */
  context: unknown;
}

/** Somewhere besides stdout and the file that entries at `level` and above also go. */
export interface LogSink {
  readonly level: LogLevel;
  accept(record: LogRecord): void;
}

/** Marks an entry that must stay on stdout and in the file: a sink's own trouble must not be fed back to it. */
export const LOCAL_ONLY = Symbol('sentinel.log.local-only');

type WinstonInfo = Record<string | symbol, unknown>;

/** Hands each entry at the sink's level or above to the sink; winston does the level filtering. */
export class LogSinkTransport extends TransportStream {
  constructor(readonly sink: LogSink) {
    super({ level: sink.level });
  }

  override log(info: WinstonInfo, next: () => void): void {
    if (info[LOCAL_ONLY] !== true) this.sink.accept(toLogRecord(info));
    next();
  }
}

export function toLogRecord(info: WinstonInfo): LogRecord {
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  const timestamp = text(info.timestamp);
  return {
    createdAt: timestamp === null ? new Date() : new Date(timestamp),
    level: info.level as LogLevel,
    message: text(info.message) ?? String(info.message),
    module: text(info.module),
    traceId: text(info.traceId),
    context: withStack(info.context, text(info.stack)),
  };
}

function withStack(context: unknown, stack: string | null): unknown {
  if (stack === null) return context ?? null;
  if (context === undefined || context === null) return { stack };
  if (typeof context === 'object' && !Array.isArray(context)) return { ...context, stack };
  return { data: context, stack };
}
