import { Module } from '@nestjs/common';
import { auditChainKeyProvider } from './audit-chain-key.provider';
import { AuditChainRepository } from './audit-chain.repository';
import { AuditController } from './audit.controller';
import { AuditEventsListener } from './audit-events.listener';
import { AuditHttpRecorder } from './audit-http.recorder';
import { AuditQueryService } from './audit-query.service';
import { AuditRetentionService } from './audit-retention.service';
import { AuditTargetGuard } from './audit-target.guard';
import { AuditVerifier } from './audit-verifier.service';
import { AuditWriter } from './audit-writer.service';
import { AuditService } from './audit.service';
import { HandlerReachedInterceptor } from './handler-reached.interceptor';

@Module({
  controllers: [AuditController],
  providers: [
    auditChainKeyProvider,
    AuditChainRepository,
    AuditWriter,
    AuditService,
    AuditHttpRecorder,
    AuditQueryService,
    AuditVerifier,
    AuditRetentionService,
    AuditEventsListener,
    AuditTargetGuard,
    HandlerReachedInterceptor,
  ],
  exports: [AuditService, AuditTargetGuard, HandlerReachedInterceptor],
})
export class AuditModule {}
