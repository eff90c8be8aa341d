import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { configNamespaces, loadConfigurationOrExit } from '../../config';
import { CommonModule } from '../../common/common.module';
import { AppLogger } from '../../observability/logging/app-logger.service';
import { DatabaseModule } from '../database.module';
import { runMigrationsExclusively } from '../migration-runner';

// The logger alone, not ObservabilityModule: its modules start work on tables these very migrations create.
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configNamespaces }),
    CommonModule,
    DatabaseModule,
  ],
  providers: [AppLogger],
})
class MigrationCliModule {}

/** `npm run migration:run`: applies pending migrations to the configured (or embedded) database and exits. */
async function main(): Promise<void> {
  const context = await NestFactory.createApplicationContext(MigrationCliModule, { bufferLogs: true });
  context.useLogger(context.get(AppLogger));
  // A no-op when MIGRATIONS_RUN already applied them while the data source started.
  await runMigrationsExclusively(context.get(DataSource));
  await context.close();
}

loadConfigurationOrExit();
main().catch((error: unknown) => {
  process.stderr.write(`Migrations failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
