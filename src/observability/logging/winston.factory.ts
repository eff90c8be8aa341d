import { parse } from 'node:path';
import { createLogger, format, type Logger, transports } from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
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

export interface WinstonOptions {
  level: LogLevel;
  format: 'json' | 'pretty';
  /** The current log file's path; undefined for stdout only. */
  file?: string;
  /** Days a rotated file is kept. */
  retentionDays: number;
  /** The application's clock, so that a line's timestamp agrees with the time the rest of the app sees. */
  now?: () => Date;
}

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

/**
 * `logs/app.log` becomes `logs/app-YYYY-MM-DD.log` (UTC days), one file a day,
 * with `logs/app.log` a symlink to today's, so `tail -F logs/app.log` follows
 * the rotation. Always JSON lines: the file is for machines, whatever stdout shows.
 */
export function createFileTransport(file: string, retentionDays: number): DailyRotateFile {
  const { dir, name, ext, base } = parse(file);
  const dirname = dir === '' ? '.' : dir;
  return new DailyRotateFile({
    dirname,
    filename: `${name}-%DATE%${ext}`,
    datePattern: 'YYYY-MM-DD',
    utc: true,
    maxFiles: `${retentionDays}d`,
    createSymlink: true,
    symlinkName: base,
    // A stable name (the default hashes the options), so a changed setting does not orphan the old index.
    auditFile: `${dirname}/.${name}-rotation.json`,
    format: format.json(),
  });
}

export function createWinstonLogger(options: WinstonOptions): Logger {
  const now = options.now ?? (() => new Date());
  const logger = createLogger({
    levels: LOG_LEVEL_SEVERITY,
    level: options.level,
    format: format.combine(format.timestamp({ format: () => now().toISOString() }), withTraceAndRedaction()),
    transports: [
      new transports.Console({ format: options.format === 'pretty' ? pretty : format.json() }),
      ...(options.file === undefined ? [] : [createFileTransport(options.file, options.retentionDays)]),
    ],
  });
  // A transport that fails (disk full, directory gone) must neither crash the process nor fail unnoticed.
  logger.on('error', (error: unknown) => {
    process.stderr.write(`log transport failed: ${error instanceof Error ? error.message : String(error)}\n`);
  });
  return logger;
}
