import type { INestApplicationContext, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { CommonModule } from '../common/common.module';
import { configNamespaces } from '../config';
import { DatabaseModule } from '../database/database.module';

/**
 * The application without HTTP, schedules or the log store, for commands run
 * while the server is stopped: the configured database (DATABASE_URL), or the
 * embedded one under DATA_DIR, which it starts and stops as the server would,
 * migrations applied. `features` are the modules the command needs.
 */
export async function createCliContext(features: Type[]): Promise<INestApplicationContext> {
  @Module({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configNamespaces }),
      EventEmitterModule.forRoot(),
      CommonModule,
      DatabaseModule,
      ...features,
    ],
  })
  class CliModule {}

  const context = await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn'] });
  context.enableShutdownHooks();
  return context;
}
