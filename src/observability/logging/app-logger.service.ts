import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Logger } from 'winston';
import { loggingConfig, type LogLevel } from '../../config/logging.config';
import { createWinstonLogger } from './winston.factory';

/**
 * The one logger of the process: Nest's own messages and every `new Logger(Module)`
 * in the code arrive here and leave as structured winston entries carrying the
 * level, module, trace id and (redacted) context data.
 */
@Injectable()
export class AppLogger implements LoggerService {
  private readonly winston: Logger;

  constructor(@Inject(loggingConfig.KEY) config: ConfigType<typeof loggingConfig>) {
    this.winston = createWinstonLogger(config);
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

  /** Lets shutdown wait until everything logged so far has been written. */
  async flush(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.winston.once('finish', resolve);
      this.winston.end();
    });
  }

  private write(level: LogLevel, message: unknown, params: unknown[], stack?: string): void {
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
