import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression, SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Clock } from '../common/clock/clock';
import { JobTicks } from '../database/job-ticks.service';
import { backupConfig } from '../config';
import { BackupJobs } from './backup-jobs.service';
import { BackupErrorCode, BackupException } from './backup.exception';
import { BackupStaleEvent } from './backup.events';
import { BackupService, errorText } from './backup.service';
import { BackupVerifier } from './backup-verifier.service';
import type { BackupType } from './engine/backup-manifest';

/**
 * BACKUP_FULL_CRON and BACKUP_INCREMENTAL_CRON (off when empty), each new
 * backup verified with a restore drill, retention daily, staleness hourly.
 * Every job takes the backup job lock, so with N instances each tick runs once.
 */
@Injectable()
export class BackupScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('Backup');

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly backups: BackupService,
    private readonly verifier: BackupVerifier,
    private readonly jobs: BackupJobs,
    private readonly ticks: JobTicks,
    private readonly clock: Clock,
    @Inject(backupConfig.KEY) private readonly config: ConfigType<typeof backupConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule('backup-full', this.config.fullCron, 'full');
    this.schedule('backup-incremental', this.config.incrementalCron, 'incremental');
  }

  /** One scheduled backup, then its verification; a tick another instance claimed (or runs) is skipped. */
  async runScheduled(type: BackupType): Promise<void> {
    try {
      await this.ticks.runOncePerTick(`backup-${type}`, async () => {
        const record = await this.backups.run({ type, initiator: { kind: 'schedule' } });
        if (record.status === 'completed') await this.verifier.verify(record.id, { restoreTest: true });
      });
    } catch (error) {
      if (error instanceof BackupException && error.code === BackupErrorCode.Busy) return;
      this.logger.error(`scheduled ${type} backup could not run: ${errorText(error)}`);
    }
  }

  @Cron(CronExpression.EVERY_DAY_AT_4AM, { name: 'backup-retention' })
  async cleanupDaily(): Promise<void> {
    await this.ticks
      .runOncePerTick('backup-retention', () => this.backups.cleanup())
      .catch((error: unknown) => {
        if (error instanceof BackupException && error.code === BackupErrorCode.Busy) return;
        this.logger.error(`backup retention failed: ${errorText(error)}`);
      });
  }

  /** Publishes backup.stale when the newest verified backup is older than BACKUP_MAX_AGE_HOURS. */
  @Cron(CronExpression.EVERY_HOUR, { name: 'backup-staleness' })
  async checkStalenessOnSchedule(): Promise<void> {
    await this.ticks
      .runOncePerTick('backup-staleness', () => this.checkStaleness())
      .catch((error: unknown) => {
        this.logger.error(`backup staleness check failed: ${errorText(error)}`);
      });
  }

  async checkStaleness(): Promise<boolean> {
    const scheduled = Boolean(this.config.fullCron || this.config.incrementalCron);
    const { lastVerifiedAt, lastCompletedAt } = await this.backups.freshness();
    // An installation that neither schedules nor takes backups has nothing to go stale.
    if (!scheduled && !lastCompletedAt) return false;
    const limit = this.clock.now().getTime() - this.config.maxAgeHours * 3_600_000;
    if (lastVerifiedAt && lastVerifiedAt.getTime() >= limit) return false;
    this.logger.error(
      `the newest verified backup is ${lastVerifiedAt ? `from ${lastVerifiedAt.toISOString()}` : 'missing'}, ` +
        `older than BACKUP_MAX_AGE_HOURS=${this.config.maxAgeHours}`,
    );
    this.jobs.publish(new BackupStaleEvent(lastVerifiedAt, this.config.maxAgeHours));
    return true;
  }

  private schedule(name: string, expression: string | undefined, type: BackupType): void {
    if (!expression) return;
    const job = CronJob.from({ cronTime: expression, onTick: () => this.runScheduled(type), start: false });
    this.registry.addCronJob(name, job);
    job.start();
  }
}
