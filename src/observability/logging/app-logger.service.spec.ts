import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock/clock';
import { REDACTED } from '../../common/redaction/redact.util';
import { runInRequestContext } from '../../common/request-context/request-context';
import type { loggingConfig, LogLevel } from '../../config/logging.config';
import { AppLogger } from './app-logger.service';
import type { LogRecord, LogSink } from './log-sink.transport';

type LoggingConfig = ConfigType<typeof loggingConfig>;

class FixedClock extends Clock {
  constructor(private readonly at: Date) {
    super();
  }

  override now(): Date {
    return new Date(this.at.getTime());
  }
}

class RecordingSink implements LogSink {
  readonly records: LogRecord[] = [];

  constructor(readonly level: LogLevel) {}

  accept(record: LogRecord): void {
    this.records.push(record);
  }
}

/** winston hands entries to its transports on a later tick. */
const delivered = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const AT = new Date('2026-03-04T05:06:07.000Z');

function createLogger(overrides: Partial<LoggingConfig> = {}): AppLogger {
  const config: LoggingConfig = {
    level: 'critical',
    format: 'json',
    file: undefined,
    retentionDays: 30,
    store: { enabled: true, level: 'info', bufferMax: 100, batchMax: 10 },
    ...overrides,
  };
  return new AppLogger(config, new FixedClock(AT));
}

const secrets = { user: 'alice', password: 'pw-hunter2', token: 'tok-abc123', apiKey: 'key-xyz789' };

describe('AppLogger: sinks', () => {
  it('hands a sink the entries at its level and above, redacted, with trace id, module and stack', async () => {
    const logger = createLogger();
    const sink = new RecordingSink('warning');
    logger.attachSink(sink);
    runInRequestContext({ traceId: 'trace-1', ip: '127.0.0.1', method: 'GET', url: '/', startedAt: 0n }, () => {
      logger.log('not stored', 'Spec');
      logger.warn({ message: 'stored with fields', ...secrets }, 'Spec');
      logger.error('failed', 'Error: failed\n    at here', 'Spec');
    });
    await delivered();
    expect(sink.records).toEqual([
      {
        createdAt: AT,
        level: 'warning',
        message: 'stored with fields',
        module: 'Spec',
        traceId: 'trace-1',
        context: { user: 'alice', password: REDACTED, token: REDACTED, apiKey: REDACTED },
      },
      {
        createdAt: AT,
        level: 'error',
        message: 'failed',
        module: 'Spec',
        traceId: 'trace-1',
        context: { stack: 'Error: failed\n    at here' },
      },
    ]);
  });

  it('feeds a sink whatever LOG_LEVEL keeps off stdout', async () => {
    const logger = createLogger({ level: 'critical' });
    const sink = new RecordingSink('info');
    logger.attachSink(sink);
    logger.log('info for the store only', { attempt: 1 }, 'Spec');
    await delivered();
    expect(sink.records.map((record) => [record.level, record.message, record.context])).toEqual([
      ['info', 'info for the store only', { attempt: 1 }],
    ]);
  });

  it('never hands a sink a local-only entry, and nothing after detaching', async () => {
    const logger = createLogger();
    const sink = new RecordingSink('debug');
    logger.attachSink(sink);
    logger.writeLocal('error', 'the store is down', 'LogStore');
    logger.error('kept', 'Spec');
    await delivered();
    logger.detachSink(sink);
    logger.error('after detach', 'Spec');
    await delivered();
    expect(sink.records.map((record) => record.message)).toEqual(['kept']);
  });
});

describe('AppLogger: the log file', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sentinel-log-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function lines(file: string): Promise<Record<string, unknown>[]> {
    const text = await readFile(file, 'utf8');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('writes JSON lines even when stdout is pretty, redacted, to a daily file that LOGS_FILE links to', async () => {
    const file = join(dir, 'nested', 'app.log');
    const logger = createLogger({ level: 'warning', format: 'pretty', file });
    logger.warn({ message: 'with secrets', ...secrets }, 'Spec');
    logger.log('below LOG_LEVEL', 'Spec');
    await logger.onApplicationShutdown();

    // Files rotate on the machine's UTC day, whatever the application clock says.
    const today = await readlink(file);
    expect(today).toMatch(/^app-\d{4}-\d{2}-\d{2}\.log$/);
    expect((await readdir(join(dir, 'nested'))).filter((name) => !name.startsWith('.')).sort()).toEqual([
      today,
      'app.log',
    ]);
    const written = await lines(file);
    expect(written).toEqual([
      {
        level: 'warning',
        message: 'with secrets',
        module: 'Spec',
        context: { user: 'alice', password: REDACTED, token: REDACTED, apiKey: REDACTED },
        timestamp: AT.toISOString(),
      },
    ]);
    const raw = await readFile(file, 'utf8');
    for (const secret of Object.values(secrets).slice(1)) expect(raw).not.toContain(secret);
  });

  it('keeps logging to stdout after the file is closed at shutdown', async () => {
    const logger = createLogger({ level: 'error', file: join(dir, 'app.log') });
    await logger.onApplicationShutdown();
    expect(() => {
      logger.fatal('still works', 'Spec');
    }).not.toThrow();
  });
});
