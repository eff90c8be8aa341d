import { createLogger, format, type Logger, transports } from 'winston';
import type { LogLevel } from '../../config/logging.config';
import { currentRequestContext } from '../../common/request-context/request-context';
import { redactSensitiveFields } from '../../common/redaction/redact.util';

/** Severity order, most severe first, as winston expects. */
export const LOG_LEVEL_SEVERITY: Record<LogLevel, number> = {
  critical: 0,
  error: 1,
  warning: 2,
  info: 3,
  debug: 4,
};

const withTraceAndRedaction = format((info) => {
  const traceId = currentRequestContext()?.traceId;
  if (traceId !== undefined && info.traceId === undefined) info.traceId = traceId;
  if (info.context !== undefined) info.context = redactSensitiveFields(info.context);
  return info;
});

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const pretty = format.printf(({ timestamp, level, message, module, traceId, context, stack }) => {
  const parts = [text(timestamp), level.toUpperCase().padEnd(8), module ? `[${text(module)}]` : '', text(message)];
  if (traceId) parts.push(`trace=${text(traceId)}`);
  if (context !== undefined) parts.push(JSON.stringify(context));
  const line = parts.filter((part) => part !== '').join(' ');
  return stack ? `${line}\n${text(stack)}` : line;
});

export function createWinstonLogger(options: { level: LogLevel; format: 'json' | 'pretty' }): Logger {
  return createLogger({
    levels: LOG_LEVEL_SEVERITY,
    level: options.level,
    format: format.combine(
      format.timestamp(),
      withTraceAndRedaction(),
      options.format === 'pretty' ? pretty : format.json(),
    ),
    transports: [new transports.Console()],
  });
}
