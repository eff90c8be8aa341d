import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AuditModule } from '../../audit/audit.module';
import { PlatformModule } from '../../platform/platform.module';
import { HttpMetricsRecorder } from './http/http-metrics.recorder';
import { MetricsController } from './metrics.controller';
import { MetricsInstrumentation } from './metrics-instrumentation';
import { MetricsRecorder } from './metrics-recorder.service';
import { PrometheusController } from './prometheus.controller';
import { PrometheusMetrics } from './prometheus-metrics';
import { AgentPerformanceService } from './reports/agent-performance.service';
import { MetricsReportsService } from './reports/metrics-reports.service';
import { MetricsSummaryService } from './reports/metrics-summary.service';
import { RequestTimeseriesService } from './reports/request-timeseries.service';
import { MetricsRetention } from './store/metrics-retention';
import { MetricsStore } from './store/metrics-store';
import { MetricsWriter } from './store/metrics-writer.service';

/** Prometheus metrics, stored request / agent-run / API-call records, and the reports read from them. */
@Module({
  imports: [DiscoveryModule, PlatformModule, AuditModule],
  controllers: [PrometheusController, MetricsController],
  providers: [
    PrometheusMetrics,
    MetricsStore,
    MetricsWriter,
    MetricsRetention,
    HttpMetricsRecorder,
    MetricsRecorder,
    MetricsInstrumentation,
    AgentPerformanceService,
    MetricsSummaryService,
    RequestTimeseriesService,
    MetricsReportsService,
  ],
  exports: [MetricsRecorder, PrometheusMetrics],
})
export class MetricsModule {}
