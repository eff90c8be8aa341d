import { Module } from '@nestjs/common';
import { DatabaseServerService } from './database-server.service';

@Module({ providers: [DatabaseServerService], exports: [DatabaseServerService] })
export class DatabaseServerModule {}
