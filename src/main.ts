import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { appConfig, loadConfigurationOrExit } from './config';
import { AppLogger } from './observability/logging/app-logger.service';

async function bootstrap(): Promise<void> {
  const config = appConfig();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(config), {
    bufferLogs: true,
    abortOnError: false,
    // configureApp installs the one body parser (JSON only, depth-bounded).
    bodyParser: false,
  });
  const logger = app.get(AppLogger);
  app.useLogger(logger);
  // Exit 0 once shutdown is done, rather than re-raising the signal (which reads as a crash to supervisors).
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  forceExitIfShutdownStalls(config.shutdownTimeoutMs);
  await configureApp(app, config);
  await app.listen(config.port, config.host);
  logger.log(`Sentinel listening on http://${config.host}:${config.port} (docs at /docs)`, 'Bootstrap');
}

/**
 * On SIGTERM/SIGINT Nest stops accepting connections, lets in-flight requests
 * finish and closes the database; if that takes longer than SHUTDOWN_TIMEOUT_MS
 * the process exits anyway, so an orchestrator's stop never hangs.
 */
function forceExitIfShutdownStalls(timeoutMs: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        process.stderr.write(`Shutdown took longer than ${timeoutMs} ms; exiting\n`);
        process.exit(1);
      }, timeoutMs).unref();
    });
  }
}

loadConfigurationOrExit();
bootstrap().catch((error: unknown) => {
  process.stderr.write(`Sentinel failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
