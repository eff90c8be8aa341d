import { Module, ValidationPipe } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { AccessGuard } from './access/access.guard';
import { AccessModule } from './access/access.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BackupModule } from './backup/backup.module';
import { CommonModule } from './common/common.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { RateLimitModule } from './common/rate-limit/rate-limit.module';
import { configNamespaces } from './config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';
import { PlatformModule } from './platform/platform.module';
import { PermissionsModule } from './rbac/permissions.module';
import { RbacModule } from './rbac/rbac.module';
import { SecretsModule } from './secrets/secrets.module';
import { SecurityMonitorModule } from './security-monitor/security-monitor.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configNamespaces }),
    EventEmitterModule.forRoot(),
    ScheduleModule.forRoot(),
    CommonModule,
    ObservabilityModule,
    DatabaseModule,
    RateLimitModule,
    HealthModule,
    AuthModule,
    PermissionsModule,
    RbacModule,
    PlatformModule,
    ApiKeysModule,
    AccessModule,
    AuditModule,
    BackupModule,
    SecurityMonitorModule,
    SecretsModule,
  ],
  providers: [
    // The rate limit runs before routing (RateLimitHook); then the one access decision.
    { provide: APP_GUARD, useExisting: AccessGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
    },
  ],
})
export class AppModule {}
