import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuthModule } from '../auth/auth.module';
import { DatabaseFeatureModule } from '../database/transactions/database-feature.module';
import { RbacModule } from '../rbac/rbac.module';
import { AccessSummaryService } from './access-summary.service';
import { AlertChannels } from './alerts/alert-channels';
import { AlertDelivery } from './alerts/alert-delivery';
import { AlertsService } from './alerts/alerts.service';
import { Allowlist } from './blocks/allowlist';
import { BlockChangeNotifier } from './blocks/block-change.notifier';
import { BlockEnforcer } from './blocks/block-enforcer';
import { BlocksService } from './blocks/blocks.service';
import { IpBlockHook } from './blocks/ip-block.hook';
import { RedisBlockChannel } from './blocks/redis-block-channel';
import { Detector } from './detection/detector.service';
import { HttpErrorObserver } from './detection/http-error.observer';
import { Responder } from './detection/responder.service';
import { WindowStore } from './detection/window-store';
import { BackupEventListener } from './events/backup-event.listener';
import { SecurityEventListener } from './events/security-event.listener';
import { SecurityEventStore } from './events/security-event-store';
import { SecurityEventsService } from './events/security-events.service';
import { PoliciesService } from './policies/policies.service';
import { SecurityPolicy } from './policies/security-policy.entity';
import { SecurityBlocksController } from './security-blocks.controller';
import { SecurityEventsController } from './security-events.controller';
import { SecurityMonitorUpkeep } from './security-monitor-upkeep.service';
import { SecurityPoliciesController } from './security-policies.controller';

/**
 * The security monitor: security events from the other modules' domain
 * events, rules over windows driven by policies, blocks enforced before
 * authentication on every instance, responses through the owning modules,
 * alerts people receive.
 */
@Module({
  imports: [DatabaseFeatureModule.forFeature([SecurityPolicy]), AuthModule, RbacModule, ApiKeysModule],
  controllers: [SecurityEventsController, SecurityPoliciesController, SecurityBlocksController],
  providers: [
    SecurityEventStore,
    SecurityEventsService,
    SecurityEventListener,
    BackupEventListener,
    PoliciesService,
    WindowStore,
    Detector,
    Responder,
    HttpErrorObserver,
    Allowlist,
    BlockEnforcer,
    RedisBlockChannel,
    BlockChangeNotifier,
    BlocksService,
    IpBlockHook,
    AlertChannels,
    AlertsService,
    AlertDelivery,
    AccessSummaryService,
    SecurityMonitorUpkeep,
  ],
})
export class SecurityMonitorModule {}
