import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { databaseConfig } from '../config';
import { AdvisoryLockService } from './advisory-lock.service';
import { AppendStore } from './append-store/append-store.service';
import { JobTicks } from './job-ticks.service';
import { DatabaseServerModule } from './database-server.module';
import { DatabaseServerService } from './database-server.service';
import { runMigrationsExclusively } from './migration-runner';
import { MIGRATIONS, MIGRATIONS_TABLE } from './migrations';
import { PartitionMaintenanceService } from './partition-maintenance.service';
import { POOL_WITH_GUARDED_CLIENTS } from './pool-client';
import { PreparedStatements } from './prepared-statements.service';
import { Transactions } from './transactions/transactions.service';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [DatabaseServerModule],
      inject: [databaseConfig.KEY, DatabaseServerService],
      useFactory: async (config: ConfigType<typeof databaseConfig>, server: DatabaseServerService) => ({
        type: 'postgres' as const,
        url: await server.connectionUrl(),
        poolSize: config.poolSize,
        migrations: [MIGRATIONS],
        migrationsTableName: MIGRATIONS_TABLE,
        migrationsRun: config.migrationsRun,
        synchronize: false,
        autoLoadEntities: true,
        applicationName: 'sentinel',
        extra: POOL_WITH_GUARDED_CLIENTS,
      }),
      // Migrations run here, before any repository is handed out, rather than in a lifecycle hook
      // whose order relative to other modules' start-up work is not guaranteed.
      dataSourceFactory: async (options?: DataSourceOptions) => {
        if (!options) throw new Error('TypeORM options were not built');
        const { migrationsRun, ...connectionOptions } = options;
        const dataSource = await new DataSource(connectionOptions).initialize();
        if (migrationsRun) await runMigrationsExclusively(dataSource);
        return dataSource;
      },
    }),
  ],
  providers: [
    AdvisoryLockService,
    PartitionMaintenanceService,
    Transactions,
    AppendStore,
    JobTicks,
    PreparedStatements,
  ],
  exports: [AdvisoryLockService, PartitionMaintenanceService, Transactions, AppendStore, JobTicks, PreparedStatements],
})
export class DatabaseModule {}
