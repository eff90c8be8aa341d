import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { type PageDto, page } from '../common/pagination/paginated';
import { backupConfig } from '../config';
import { BACKUP_KEY } from './backup-key.provider';
import { BackupJobs } from './backup-jobs.service';
import { BackupErrorCode, BackupException } from './backup.exception';
import { BackupCompletedEvent, BackupFailedEvent, type BackupInitiator } from './backup.events';
import type { ListBackupsQueryDto } from './dto/backup.dto';
import { BackupDatabase } from './engine/backup-database';
import type { BackupManifest, BackupType } from './engine/backup-manifest';
import { BackupReader } from './engine/backup-reader';
import { type BackupWriteProgress, removeSpools, writeBackup } from './engine/backup-writer';
import { SnapshotRangeError, sinceSnapshotCondition } from './engine/snapshot-filter';
import { BackupRecord } from './entities/backup-record.entity';
import { RestoreRecord } from './entities/restore-record.entity';
import type { BackupKey } from './format/backup-file-format';
import { expiredBackups } from './retention';
import { backupFileName } from './storage/backup-storage';
import { BackupStorages } from './storage/backup-storages';

export interface BackupRequest {
  type: BackupType;
  description?: string;
  initiator: BackupInitiator;
  onProgress?: (progress: BackupWriteProgress) => void;
}

export function describeInitiator(initiator: BackupInitiator): string {
  return initiator.kind === 'user' ? `user:${initiator.userId}` : initiator.kind;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The backup catalogue: takes backups (full, or incremental on the newest
 * completed one), lists them, applies retention, and after a crash marks what
 * was left running as failed and removes its partial file.
 */
@Injectable()
export class BackupService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Backup');

  constructor(
    @InjectRepository(BackupRecord) private readonly records: Repository<BackupRecord>,
    @InjectRepository(RestoreRecord) private readonly restores: Repository<RestoreRecord>,
    @Inject(BACKUP_KEY) private readonly key: BackupKey | undefined,
    @Inject(backupConfig.KEY) private readonly config: ConfigType<typeof backupConfig>,
    private readonly storages: BackupStorages,
    private readonly database: BackupDatabase,
    private readonly jobs: BackupJobs,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.recoverInterrupted();
  }

  /** Starts a backup; resolves with its record (status running) once it holds the job lock. */
  start(request: BackupRequest): Promise<BackupRecord> {
    return this.jobs.start(
      () => this.begin(request),
      (record, signal) => this.write(record, request, signal),
    ).started;
  }

  /** Takes a backup and resolves once it is over, with its final record. */
  async run(request: BackupRequest): Promise<BackupRecord> {
    const job = this.jobs.start(
      () => this.begin(request),
      (record, signal) => this.write(record, request, signal),
    );
    const record = await job.started;
    await job.finished;
    return this.get(record.id);
  }

  async list(query: ListBackupsQueryDto): Promise<PageDto<BackupRecord>> {
    const [items, total] = await this.records.findAndCount({
      where: { ...(query.status ? { status: query.status } : {}), ...(query.type ? { type: query.type } : {}) },
      order: { startedAt: 'DESC' },
      take: query.limit,
      skip: query.offset,
    });
    return page(items, total, query);
  }

  async get(id: string): Promise<BackupRecord> {
    const record = await this.records.findOneBy({ id });
    if (!record) throw new BackupException(BackupErrorCode.NotFound);
    return record;
  }

  /** When the newest backup completed and when one last passed verification. */
  async freshness(): Promise<{ lastCompletedAt: Date | null; lastVerifiedAt: Date | null }> {
    const [row] = await this.records.query<{ completed: Date | null; verified: Date | null }[]>(
      `SELECT max(completed_at) FILTER (WHERE status = 'completed') AS completed,
              max(verified_at) FILTER (WHERE (verification ->> 'ok')::boolean) AS verified
         FROM backups`,
    );
    return { lastCompletedAt: row.completed, lastVerifiedAt: row.verified };
  }

  /** Applies retention under the job lock: removes expired backups' files and marks them expired. */
  async cleanup(): Promise<{ expired: string[] }> {
    const result = await this.jobs.ifIdle(async () => {
      const completed = await this.records.find({ where: { status: 'completed' } });
      const expired = expiredBackups(
        completed.map(({ id, type, parentId, startedAt, verification }) => ({
          id,
          type,
          parentId,
          startedAt,
          verifiedOk: verification?.ok === true,
        })),
        { days: this.config.retentionDays, count: this.config.retentionCount },
        this.clock.now(),
      );
      for (const id of expired) {
        const record = completed.find((candidate) => candidate.id === id);
        if (record) await this.storages.of(record.storage)?.remove(record.location);
        await this.records.update(id, { status: 'expired' });
      }
      return { expired };
    });
    if (!result) throw new BackupException(BackupErrorCode.Busy);
    return result;
  }

  /**
   * The completed chain a restore of `id` needs, full backup first. A backup
   * this database has no record of (a new machine) is looked up in storage.
   */
  async chainOf(id: string): Promise<BackupRecord[]> {
    const chain: BackupRecord[] = [];
    for (let next: string | null = id; next;) {
      const record = await this.findOrImport(next);
      if (record.status !== 'completed') {
        throw new BackupException(BackupErrorCode.NotRestorable, `backup ${record.id} is ${record.status}`);
      }
      chain.unshift(record);
      next = record.parentId;
    }
    return chain;
  }

  async openReader(record: BackupRecord): Promise<BackupReader> {
    const storage = this.storages.of(record.storage);
    if (!storage) {
      throw new BackupException(
        BackupErrorCode.NotRestorable,
        `backup ${record.id} is in a bucket not configured here`,
      );
    }
    return BackupReader.open(storage, record.location, this.key).catch((error: unknown) => {
      throw new BackupException(BackupErrorCode.Unreadable, `backup ${record.id}: ${errorText(error)}`);
    });
  }

  /** SHA-256 and size of the stored file, read end to end. */
  async digestOf(record: Pick<BackupRecord, 'storage' | 'location'>): Promise<{ sha256: string; size: number }> {
    const storage = this.storages.of(record.storage);
    if (!storage) throw new BackupException(BackupErrorCode.NotRestorable);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of await storage.read(record.location)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  }

  private async begin(request: BackupRequest): Promise<BackupRecord> {
    const parent = request.type === 'incremental' ? await this.incrementalParent() : undefined;
    const storage = this.storages.current;
    const id = randomUUID();
    return this.records.save(
      this.records.create({
        id,
        type: parent ? 'incremental' : 'full',
        parentId: parent?.id ?? null,
        status: 'running',
        description: request.description ?? null,
        startedAt: this.clock.now(),
        compressed: this.config.compression,
        encrypted: this.config.encryption,
        keyId: this.config.encryption ? (this.key?.id ?? null) : null,
        storage: storage.kind,
        location: storage.locationOf(backupFileName(id)),
        createdBy: describeInitiator(request.initiator),
      }),
    );
  }

  /**
   * The newest completed backup, if an incremental can build on it. As
   * pgBackRest does, an incremental with nothing to build on (or too far
   * behind in transaction ids) is taken as a full backup instead.
   */
  private async incrementalParent(): Promise<BackupRecord | undefined> {
    const newest = (
      await this.records.find({ where: { status: 'completed' }, order: { startedAt: 'DESC' }, take: 1 })
    ).at(0);
    if (!newest?.watermark) return undefined;
    const [{ snapshot }] = await this.records.query<{ snapshot: string }[]>(
      'SELECT pg_current_snapshot()::text AS snapshot',
    );
    try {
      sinceSnapshotCondition(newest.watermark.snapshot, snapshot);
      return newest;
    } catch (error) {
      if (error instanceof SnapshotRangeError) return undefined;
      throw error;
    }
  }

  private async write(record: BackupRecord, request: BackupRequest, signal: AbortSignal): Promise<void> {
    const client = await this.database.connect();
    try {
      const sink = await this.storages.current.create(backupFileName(record.id));
      const parent = record.parentId ? await this.get(record.parentId) : undefined;
      const written = await writeBackup(client, sink, {
        id: record.id,
        type: record.type,
        parent: parent?.watermark ? { id: parent.id, snapshot: parent.watermark.snapshot } : undefined,
        compression: record.compressed,
        compressionLevel: this.config.compressionLevel,
        key: record.encrypted ? this.key : undefined,
        parallel: { streams: this.config.parallelism, connect: () => this.database.connect() },
        onProgress: (progress) => {
          signal.throwIfAborted();
          request.onProgress?.(progress);
        },
      });
      await this.records.update(
        record.id,
        completedFields(written.manifest, written.size, written.sha256, this.clock.now()),
      );
      this.logger.log(`backup ${record.id} (${record.type}) completed: ${written.size} bytes`);
      this.jobs.publish(new BackupCompletedEvent(record.id, record.type, written.size, request.initiator));
    } catch (error) {
      await this.records.update(record.id, {
        status: 'failed',
        error: errorText(error),
        completedAt: this.clock.now(),
      });
      this.logger.error(`backup ${record.id} failed: ${errorText(error)}`);
      this.jobs.publish(new BackupFailedEvent(record.id, record.type, errorText(error), request.initiator));
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Work left `running` by a process that died: with the job lock free, no
   * instance is doing it. Its partial file goes; a restore's transaction was
   * already rolled back by PostgreSQL when its connection closed.
   */
  private async recoverInterrupted(): Promise<void> {
    await this.jobs.ifIdle(async () => {
      const now = this.clock.now();
      const interrupted = 'interrupted: the process stopped before it was done';
      for (const orphan of await this.records.findBy({ status: 'running' })) {
        await this.storages.of(orphan.storage)?.removePartial(backupFileName(orphan.id));
        await removeSpools(orphan.id);
        await this.records.update(orphan.id, { status: 'failed', error: interrupted, completedAt: now });
        this.logger.warn(`backup ${orphan.id} was interrupted; marked failed and its partial files removed`);
      }
      await this.restores.update({ status: 'running' }, { status: 'failed', error: interrupted, completedAt: now });
    });
  }

  private async findOrImport(id: string): Promise<BackupRecord> {
    const found = await this.records.findOneBy({ id });
    if (found) return found;
    const storage = this.storages.current;
    const location = storage.locationOf(backupFileName(id));
    if (!(await storage.exists(location))) throw new BackupException(BackupErrorCode.NotFound);
    const reader = await BackupReader.open(storage, location, this.key).catch((error: unknown) => {
      throw new BackupException(BackupErrorCode.Unreadable, `backup ${id}: ${errorText(error)}`);
    });
    const { manifest, header } = reader;
    if (manifest.parentId) await this.findOrImport(manifest.parentId);
    const { sha256, size } = await this.digestOf({ storage: storage.kind, location });
    this.logger.log(`registered backup ${id} found in ${storage.kind} storage`);
    return this.records.save(
      this.records.create({
        id,
        type: manifest.type,
        parentId: manifest.parentId,
        startedAt: new Date(manifest.snapshotAt),
        compressed: header.compression === 'gzip',
        encrypted: header.encryption !== undefined,
        keyId: header.encryption?.keyId ?? null,
        storage: storage.kind,
        location,
        createdBy: 'import',
        description: 'found in storage',
        ...completedFields(manifest, size, sha256, new Date(manifest.completedAt)),
      }),
    );
  }
}

function completedFields(
  manifest: BackupManifest,
  size: number,
  sha256: string,
  completedAt: Date,
): Partial<BackupRecord> {
  return {
    status: 'completed',
    completedAt,
    snapshotAt: new Date(manifest.snapshotAt),
    sizeBytes: size,
    sha256,
    rowCounts: Object.fromEntries(manifest.tables.map((table) => [table.name, table.rows])),
    watermark: { snapshot: manifest.snapshot },
    schemaVersion: manifest.migrations[manifest.migrations.length - 1] ?? null,
    error: null,
  };
}
