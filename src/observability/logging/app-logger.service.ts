import { Inject, Injectable, type LoggerService, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Logger } from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { Clock } from '../../common/clock/clock';
import { loggingConfig, type LogLevel } from '../../config/logging.config';
import { LOCAL_ONLY, type LogSink, LogSinkTransport } from './log-sink.transport';
import { createWinstonLogger } from './winston.factory';

/**
 * The one logger of the process: Nest's own messages and every `new Logger(Module)`
 * in the code arrive here and leave as structured winston entries carrying the
 * level, module, trace id and (redacted) context data, on stdout, in the
 * rotated file (LOGS_FILE) and in any sink attached later (the log store).
 */
@Injectable()
export class AppLogger implements LoggerService, OnApplicationShutdown {
  private readonly winston: Logger;
  private readonly sinks = new Map<LogSink, LogSinkTransport>();

  constructor(
    @Inject(loggingConfig.KEY) config: ConfigType<typeof loggingConfig>,
    // Lines carry the application's time, so a test clock moves them too (and the log store's partitions agree).
    clock: Clock,
  ) {
    this.winston = createWinstonLogger({ ...config, now: () => clock.now() });
  }

  /** From now on, entries at the sink's level and above also go to it. */
  attachSink(sink: LogSink): void {
    if (this.sinks.has(sink)) return;
    const transport = new LogSinkTransport(sink);
    this.sinks.set(sink, transport);
    this.winston.add(transport);
  }

  detachSink(sink: LogSink): void {
    const transport = this.sinks.get(sink);
    if (!transport) return;
    this.sinks.delete(sink);
    this.winston.remove(transport);
  }

  /**
   * For a sink's own trouble: written to stdout and the file but never handed
   * to a sink, so a failing log store cannot feed on its own failure reports.
   */
  writeLocal(level: LogLevel, message: string, module: string): void {
    const entry = { level, message, module, [LOCAL_ONLY]: true };
    this.winston.log(entry);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warning', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('critical', message, params);
  }

  /** Nest calls error(message, stack?, module?). */
  error(message: unknown, ...params: unknown[]): void {
    const stack = params.length > 1 && typeof params[0] === 'string' ? params.shift() : undefined;
    this.write('error', message, params, stack as string | undefined);
  }

  /**
   * Ends the file at shutdown so that its last lines reach the disk before the
   * process exits; stdout and any sink still attached keep working.
   */
  async onApplicationShutdown(): Promise<void> {
    // winston hands entries to its transports a tick later: let the last ones reach the file first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const files = this.winston.transports.filter((transport) => transport instanceof DailyRotateFile);
    await Promise.all(
      files.map(
        (file) =>
          new Promise<void>((resolve) => {
            // Removing a transport closes it; the file transport emits `finish` once its stream has ended.
            file.once('finish', () => {
              resolve();
            });
            this.winston.remove(file);
          }),
      ),
    );
  }

  /** Lets shutdown wait until everything logged so far has been written. */
  async flush(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.winston.once('finish', resolve);
      this.winston.end();
    });
  }

  private write(level: LogLevel, message: unknown, params: unknown[], stack?: string): void {
    // Below every transport's level: skip the formatting and redaction work.
    if (!this.winston.isLevelEnabled(level)) return;
    const module = typeof params.at(-1) === 'string' ? (params.pop() as string) : undefined;
    const [context] = params;
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      const { message: text, ...fields } = message as Record<string, unknown>;
      this.winston.log({
        level,
        message: typeof text === 'string' ? text : JSON.stringify(text),
        module,
        context: fields,
        stack,
      });
      return;
    }
    const text = message instanceof Error ? message.message : String(message);
    this.winston.log({
      level,
      message: text,
      module,
      context,
      stack: stack ?? (message instanceof Error ? message.stack : undefined),
    });
  }
}
