import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Client } from 'pg';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { type PageDto, page } from '../common/pagination/paginated';
import type { PaginationQueryDto } from '../common/pagination/pagination-query.dto';
import { Transactions } from '../database/transactions/transactions.service';
import { BackupJobs } from './backup-jobs.service';
import { BackupErrorCode, BackupException } from './backup.exception';
import {
  type BackupInitiator,
  RestoreCancelRequestedEvent,
  RestoreCompletedEvent,
  RestoreFailedEvent,
} from './backup.events';
import { BackupService, describeInitiator, errorText } from './backup.service';
import { BackupDatabase } from './engine/backup-database';
import { newerMigrations } from './engine/backup-manifest';
import { type RestoreProgress, runRestore, type TableReport } from './engine/restore-engine';
import { planRestore, type RestorePlan, RestorePlanError } from './engine/restore-plan';
import { RestoreRecord } from './entities/restore-record.entity';

export interface RestoreRequest {
  backupId: string;
  dryRun: boolean;
  pointInTime?: Date;
  tables?: string[];
  /** Replace the audit trail with the backup's instead of merging (a backup of another installation). */
  replaceAuditTrail?: boolean;
  initiator: BackupInitiator;
  onProgress?: (progress: RestoreProgress) => void;
}

/** How often progress is written for other instances to read, and a cancel looked for. */
const PROGRESS_INTERVAL_MS = 500;

/**
 * Restore operations: checked and planned up front (unknown backup, newer
 * schema, unknown table, uncovered point in time are refused at once), then
 * run in the background under the job lock in one transaction, with progress
 * and a cancel that any instance can read and set through the table.
 */
@Injectable()
export class RestoreService {
  private readonly logger = new Logger('Restore');

  constructor(
    @InjectRepository(RestoreRecord) private readonly records: Repository<RestoreRecord>,
    private readonly backups: BackupService,
    private readonly database: BackupDatabase,
    private readonly jobs: BackupJobs,
    private readonly clock: Clock,
    private readonly transactions: Transactions,
  ) {}

  async start(request: RestoreRequest): Promise<RestoreRecord> {
    const plan = await this.plan(request);
    return this.jobs.start(
      () => this.begin(request, plan),
      (record, signal) => this.execute(record, plan, request, signal),
    ).started;
  }

  /** Restores and resolves once it is over, with the final record (the command line). */
  async run(request: RestoreRequest): Promise<RestoreRecord> {
    const plan = await this.plan(request);
    const job = this.jobs.start(
      () => this.begin(request, plan),
      (record, signal) => this.execute(record, plan, request, signal),
    );
    const record = await job.started;
    await job.finished;
    return this.get(record.id);
  }

  async list(query: PaginationQueryDto): Promise<PageDto<RestoreRecord>> {
    const [items, total] = await this.records.findAndCount({
      order: { startedAt: 'DESC' },
      take: query.limit,
      skip: query.offset,
    });
    return page(items, total, query);
  }

  async get(id: string): Promise<RestoreRecord> {
    const record = await this.records.findOneBy({ id });
    if (!record) throw new BackupException(BackupErrorCode.RestoreNotFound);
    return record;
  }

  /** Asks the instance running the restore to stop: it finds the flag at its next poll and rolls back. */
  async cancel(id: string, initiator: BackupInitiator): Promise<RestoreRecord> {
    return this.transactions.run(async () => {
      const result = await this.records.update({ id, status: 'running' }, { cancelRequested: true });
      if (!result.affected) {
        await this.get(id);
        throw new BackupException(BackupErrorCode.RestoreNotRunning);
      }
      this.jobs.publish(new RestoreCancelRequestedEvent(id, initiator));
      return this.get(id);
    });
  }

  private async plan(request: RestoreRequest): Promise<RestorePlan> {
    const chain = await this.backups.chainOf(request.backupId);
    const readers = await Promise.all(chain.map((record) => this.backups.openReader(record)));
    const applied = (
      await this.records.query<{ name: string }[]>('SELECT name FROM schema_migrations ORDER BY timestamp, id')
    ).map((row) => row.name);
    const missing = newerMigrations(readers[readers.length - 1].manifest, applied);
    if (missing.length > 0) {
      throw new BackupException(
        BackupErrorCode.SchemaNewer,
        `backup ${request.backupId} was taken at a newer schema: this database lacks migration ${missing.join(', ')}; ` +
          'upgrade Sentinel, then restore',
      );
    }
    try {
      return planRestore(readers, {
        tables: request.tables,
        pointInTime: request.pointInTime,
        replaceEvidence: request.replaceAuditTrail,
      });
    } catch (error) {
      if (!(error instanceof RestorePlanError)) throw error;
      const code =
        error.reason === 'unknown-table' ? BackupErrorCode.UnknownTable : BackupErrorCode.PointInTimeNotCovered;
      throw new BackupException(code, error.message);
    }
  }

  private begin(request: RestoreRequest, plan: RestorePlan): Promise<RestoreRecord> {
    const sources = plan.tables.flatMap((entry) => entry.sources);
    return this.records.save(
      this.records.create({
        id: randomUUID(),
        backupId: request.backupId,
        status: 'running',
        dryRun: request.dryRun,
        pointInTime: request.pointInTime ?? null,
        tables: request.tables ?? null,
        replaceAuditTrail: request.replaceAuditTrail ?? false,
        startedAt: this.clock.now(),
        progress: {
          tablesDone: 0,
          tablesTotal: plan.tables.length,
          rowsDone: 0,
          rowsTotal: sources.reduce((sum, source) => sum + source.table.rows, 0),
          bytesDone: 0,
          bytesTotal: sources.reduce((sum, source) => sum + source.table.bytes, 0),
        },
        requestedBy: describeInitiator(request.initiator),
      }),
    );
  }

  private async execute(
    record: RestoreRecord,
    plan: RestorePlan,
    request: RestoreRequest,
    shutdown: AbortSignal,
  ): Promise<void> {
    const cancel = new AbortController();
    const signal = AbortSignal.any([shutdown, cancel.signal]);
    const client = await this.database.connect();
    signal.addEventListener('abort', () => void this.database.cancel(client).catch(() => undefined), { once: true });
    let progress = record.progress;
    const flush = async (): Promise<void> => {
      // A SELECT around the UPDATE: TypeORM answers a bare UPDATE ... RETURNING with [rows, count].
      const rows = await this.records.query<{ cancel_requested: boolean }[]>(
        'WITH updated AS (UPDATE restores SET progress = $2 WHERE id = $1 RETURNING cancel_requested) SELECT * FROM updated',
        [record.id, progress],
      );
      if (rows.at(0)?.cancel_requested) cancel.abort(new Error('cancelled'));
    };
    const timer = setInterval(() => void flush().catch(() => undefined), PROGRESS_INTERVAL_MS);
    const onProgress = (next: RestoreProgress): void => {
      progress = next;
      request.onProgress?.(next);
    };
    try {
      const report = await runRestore(client, plan, {
        dryRun: request.dryRun,
        signal,
        onProgress,
        beforeCommit: (tx, tables) => this.completeUnlessCancelled(tx, record, tables, progress, cancel),
      });
      if (request.dryRun) await this.finish(record, { status: 'completed', report, progress });
      this.jobs.publish(
        new RestoreCompletedEvent(
          record.id,
          record.backupId,
          record.dryRun,
          report.map((t) => t.table),
          request.initiator,
        ),
      );
    } catch (error) {
      const cancelled = cancel.signal.aborted;
      const message = cancelled ? 'cancelled; every table was left as it was' : errorText(error);
      await this.finish(record, { status: cancelled ? 'cancelled' : 'failed', error: message, progress });
      this.logger.error(
        `restore ${record.id} of backup ${record.backupId} ${cancelled ? 'cancelled' : 'failed'}: ${message}`,
      );
      this.jobs.publish(new RestoreFailedEvent(record.id, record.backupId, message, cancelled, request.initiator));
    } finally {
      clearInterval(timer);
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Marks the restore completed in its own transaction, unless a cancel was
   * recorded first. Either the cancel's UPDATE committed before (this finds
   * nothing to mark and the restore rolls back) or it waits on this row and
   * then finds nothing running (409): a client told that its cancel was
   * requested never sees the restore commit anyway.
   */
  private async completeUnlessCancelled(
    tx: Client,
    record: RestoreRecord,
    report: TableReport[],
    progress: RestoreProgress,
    cancel: AbortController,
  ): Promise<void> {
    const { rowCount } = await tx.query(
      `UPDATE restores SET status = 'completed', report = $2::jsonb, progress = $3::jsonb, completed_at = $4
        WHERE id = $1 AND status = 'running' AND NOT cancel_requested`,
      [record.id, JSON.stringify(report), JSON.stringify(progress), this.clock.now()],
    );
    if (rowCount === 1) return;
    const error = new Error('cancelled');
    cancel.abort(error);
    throw error;
  }

  private async finish(record: RestoreRecord, changes: Partial<RestoreRecord>): Promise<void> {
    await this.records.update(record.id, { ...changes, completedAt: this.clock.now() });
  }
}
