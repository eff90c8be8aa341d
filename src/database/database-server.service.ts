import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig, databaseConfig } from '../config';
import { EmbeddedPostgresServer } from './embedded/embedded-postgres.server';

/**
 * Decides where the database is: the server DATABASE_URL names, the embedded
 * one a WORKERS primary started, or an embedded PostgreSQL this process starts
 * under DATA_DIR and stops on
 * shutdown (after TypeORM has closed its pool, because TypeORM's module
 * depends on this one and Nest shuts dependents down first).
 */
@Injectable()
export class DatabaseServerService implements OnApplicationShutdown {
  private readonly logger = new Logger('EmbeddedPostgres');
  private embedded?: EmbeddedPostgresServer;

  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(databaseConfig.KEY) private readonly database: ConfigType<typeof databaseConfig>,
  ) {}

  async connectionUrl(): Promise<string> {
    if (this.database.url) return this.database.url;
    // A worker of WORKERS > 1: the primary started the embedded server and stops it.
    if (this.database.embeddedUrl) return this.database.embeddedUrl;
    this.embedded ??= new EmbeddedPostgresServer({
      dataDir: this.app.dataDir,
      port: this.database.embeddedPort,
      log: (line) => {
        this.logger.log(line);
      },
      serverOutput: (line) => {
        this.logger.debug(line);
      },
    });
    return (await this.embedded.start()).app;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}
