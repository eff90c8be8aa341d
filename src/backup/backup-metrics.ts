import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { PrometheusMetrics } from '../observability/metrics/prometheus-metrics';
import { BackupService } from './backup.service';

/**
 * Staleness on /metrics, read from the catalogue at scrape time so every
 * instance reports the cluster's backups, not only those it took itself.
 */
@Injectable()
export class BackupMetrics {
  constructor(prometheus: PrometheusMetrics, backups: BackupService) {
    new Gauge({
      name: 'backup_last_success_timestamp_seconds',
      help: 'When the newest completed backup finished (Unix time; 0: none)',
      registers: [prometheus.registry],
      async collect() {
        this.set(seconds((await backups.freshness()).lastCompletedAt));
      },
    });
    new Gauge({
      name: 'backup_last_verified_timestamp_seconds',
      help: 'When a backup last passed verification (Unix time; 0: never)',
      registers: [prometheus.registry],
      async collect() {
        this.set(seconds((await backups.freshness()).lastVerifiedAt));
      },
    });
  }
}

function seconds(date: Date | null): number {
  return date ? date.getTime() / 1000 : 0;
}
