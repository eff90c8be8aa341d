import { Global, Module } from '@nestjs/common';
import { DashboardModule } from './dashboard/dashboard.module';
import { AppLogger } from './logging/app-logger.service';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';

@Global()
@Module({
  imports: [LoggingModule, MetricsModule, DashboardModule],
  providers: [AppLogger],
  exports: [AppLogger, MetricsModule],
})
export class ObservabilityModule {}
