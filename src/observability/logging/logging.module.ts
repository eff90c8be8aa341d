import { Module } from '@nestjs/common';
import { LogRetention } from './log-retention';
import { LogStoreRepository } from './log-store.repository';
import { LogStoreWriter } from './log-store-writer.service';
import { LogsController } from './logs.controller';
import { LogsService } from './logs.service';

/** The log store: the writer AppLogger feeds, its retention, and `GET /logs`. AppLogger itself is global. */
@Module({
  controllers: [LogsController],
  providers: [LogStoreRepository, LogStoreWriter, LogRetention, LogsService],
  exports: [LogsService],
})
export class LoggingModule {}
