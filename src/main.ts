import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { DataDirSecretError } from './common/data-dir/data-dir-secret.util';
import { configureApp, createFastifyAdapter } from './app.setup';
import { runClusterPrimary } from './cluster/cluster-primary';
import { isClusterWorker } from './cluster/cluster-metrics';
import { appConfig, databaseConfig, loadConfigurationOrExit } from './config';
import { AppLogger } from './observability/logging/app-logger.service';
import { limitHeapGrowth } from './runtime/heap-growth';

async function bootstrap(): Promise<void> {
  const config = appConfig();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(config), {
    bufferLogs: true,
    // Kept until the app's logger is in place (flushed below), and on a failed start dropped for an error
    // whose one line says it all (see the catch at the end).
    autoFlushLogs: false,
    abortOnError: false,
    // configureApp installs the one body parser (JSON only, depth-bounded).
    bodyParser: false,
  });
  const logger = app.get(AppLogger);
  app.useLogger(logger);
  app.flushLogs();
  // Exit 0 once shutdown is done, rather than re-raising the signal (which reads as a crash to supervisors).
  const signals = shutdownSignals();
  app.enableShutdownHooks(signals, { useProcessExit: true });
  forceExitIfShutdownStalls(signals, config.shutdownTimeoutMs);
  configureApp(app, config);
  await app.listen(config.port, config.host);
  logger.log(`Sentinel listening on http://${config.host}:${config.port} (docs at /docs)`, 'Bootstrap');
}

/**
 * On SIGTERM/SIGINT Nest stops accepting connections, lets in-flight requests
 * finish and closes the database; if that takes longer than SHUTDOWN_TIMEOUT_MS
 * the process exits anyway, so an orchestrator's stop never hangs.
 */
function forceExitIfShutdownStalls(signals: readonly NodeJS.Signals[], timeoutMs: number): void {
  for (const signal of signals) {
    process.once(signal, () => {
      setTimeout(() => {
        process.stderr.write(`Shutdown took longer than ${timeoutMs} ms; exiting\n`);
        process.exit(1);
      }, timeoutMs).unref();
    });
  }
}

/**
 * A worker stops when its primary says so (SIGTERM). Ctrl-C reaches the whole
 * process group: the primary turns it into that SIGTERM, so a worker ignores
 * its own copy rather than stopping twice.
 */
function shutdownSignals(): NodeJS.Signals[] {
  if (!isClusterWorker()) return ['SIGTERM', 'SIGINT'];
  process.on('SIGINT', () => undefined);
  return ['SIGTERM'];
}

function start(): Promise<void> {
  const app = appConfig();
  limitHeapGrowth(app.heapGrowthPercent);
  if (app.workers === 1 || isClusterWorker()) return bootstrap();
  const database = databaseConfig();
  return runClusterPrimary({
    workers: app.workers,
    dataDir: app.dataDir,
    embeddedPort: database.embeddedPort,
    databaseUrl: database.url,
    shutdownTimeoutMs: app.shutdownTimeoutMs,
  });
}

loadConfigurationOrExit();
start().catch((error: unknown) => {
  // An operator's mistake (an unusable DATA_DIR secret) is one line; anything else keeps what was logged.
  if (!(error instanceof DataDirSecretError)) Logger.flush();
  process.stderr.write(`Sentinel failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
