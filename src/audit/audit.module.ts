import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { auditChainKeyProvider } from './audit-chain-key.provider';
import { AuditChainer } from './audit-chainer.service';
import { AuditController } from './audit.controller';
import { AuditEventSubscriber } from './audit-event.subscriber';
import { AuditHttpRecorder } from './audit-http.recorder';
import { AuditOutboxStore } from './audit-outbox.store';
import { AuditQueryService } from './audit-query.service';
import { AuditRetention } from './audit-retention';
import { AuditTargets } from './audit-target';
import { AuditTrail } from './audit-trail.service';
import { AuditVerifier } from './audit-verifier.service';
import { AuditedTransactionInterceptor } from './audited-transaction.interceptor';
import { AuditedTransactionRoutes } from './audited-transaction.routes';

@Module({
  imports: [DiscoveryModule],
  controllers: [AuditController],
  providers: [
    auditChainKeyProvider,
    AuditOutboxStore,
    AuditChainer,
    AuditTrail,
    AuditTargets,
    AuditHttpRecorder,
    AuditedTransactionInterceptor,
    AuditedTransactionRoutes,
    AuditEventSubscriber,
    AuditQueryService,
    AuditVerifier,
    AuditRetention,
  ],
  exports: [AuditTrail],
})
export class AuditModule {}
