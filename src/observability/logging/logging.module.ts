import { Module } from '@nestjs/common';
import { LogRetentionService } from './log-retention.service';
import { LogStoreRepository } from './log-store.repository';
import { LogStoreWriter } from './log-store-writer.service';
import { LogsController } from './logs.controller';
import { LogsService } from './logs.service';

/** The log store: the writer AppLogger feeds, its retention, and `GET /logs`. AppLogger itself is global. */
@Module({
  controllers: [LogsController],
  providers: [LogStoreRepository, LogStoreWriter, LogRetentionService, LogsService],
  exports: [LogsService],
})
export class LoggingModule {}
