import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { to as copyTo } from 'pg-copy-streams';
import { Repository } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { BackupJobs } from './backup-jobs.service';
import { BackupErrorCode, BackupException } from './backup.exception';
import { BackupVerifiedEvent } from './backup.events';
import { BackupService, errorText } from './backup.service';
import { BackupDatabase } from './engine/backup-database';
import { applyCopySession } from './engine/backup-manifest';
import type { BackupReader } from './engine/backup-reader';
import { runRestore } from './engine/restore-engine';
import { planRestore } from './engine/restore-plan';
import { RowSetChecksum } from './engine/row-set-hasher';
import { columnList, quoteIdentifier } from './engine/table-catalog';
import { BackupRecord, type BackupVerification } from './entities/backup-record.entity';

/** Consumes a stream, for reads whose checks happen on the way (the row counts and checksums). */
const discard = (): Writable =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

/**
 * Proves a backup restores: its file's SHA-256, every chunk authenticated and
 * decompressed, every table's rows and checksum as recorded; and, as a drill,
 * the whole chain restored into a scratch database whose tables are then
 * compared with the backup's, row set by row set.
 */
@Injectable()
export class BackupVerifier {
  private readonly logger = new Logger('Backup');

  constructor(
    @InjectRepository(BackupRecord) private readonly records: Repository<BackupRecord>,
    private readonly backups: BackupService,
    private readonly database: BackupDatabase,
    private readonly jobs: BackupJobs,
    private readonly clock: Clock,
  ) {}

  async verify(id: string, options: { restoreTest: boolean }): Promise<BackupRecord> {
    const record = await this.backups.get(id);
    if (record.status !== 'completed') {
      throw new BackupException(BackupErrorCode.NotRestorable, `backup ${id} is ${record.status}`);
    }
    const verification = await this.check(record, options.restoreTest);
    await this.records.update(id, { verification, verifiedAt: this.clock.now() });
    if (!verification.ok) this.logger.error(`backup ${id} failed verification: ${verification.error ?? ''}`);
    this.jobs.publish(new BackupVerifiedEvent(id, verification.ok, options.restoreTest, verification.error));
    return this.backups.get(id);
  }

  private async check(record: BackupRecord, restoreTest: boolean): Promise<BackupVerification> {
    const result: BackupVerification = { ok: false, checksum: false, decrypted: false, rowCounts: false };
    try {
      const digest = await this.backups.digestOf(record);
      result.checksum = digest.sha256 === record.sha256 && digest.size === record.sizeBytes;
      if (!result.checksum) return { ...result, error: 'the file’s SHA-256 differs from the one recorded' };
      const reader = await this.backups.openReader(record);
      for (const table of reader.manifest.tables) {
        for (const segment of table.segments) await reader.pipeSegment(table, segment, [discard()]);
      }
      result.decrypted = true;
      result.rowCounts = reader.manifest.tables.every((table) => record.rowCounts?.[table.name] === table.rows);
      if (!result.rowCounts) return { ...result, error: 'the manifest’s row counts differ from the record' };
      if (restoreTest) {
        result.restoreTest = await this.drill(record.id);
        if (!result.restoreTest.ok) {
          return { ...result, error: `restored tables differ: ${result.restoreTest.mismatched.join(', ')}` };
        }
      }
      return { ...result, ok: true };
    } catch (error) {
      return { ...result, error: errorText(error) };
    }
  }

  /** Restores the chain into a scratch database and compares each table's row set with the backup's. */
  private async drill(id: string): Promise<{ ok: boolean; tables: number; mismatched: string[] }> {
    const chain = await Promise.all((await this.backups.chainOf(id)).map((record) => this.backups.openReader(record)));
    return this.database.withScratchDatabase(async (name) => {
      const expected = new Map<string, RowSetChecksum>();
      const client = await this.database.connect(name);
      try {
        await runRestore(client, planRestore(chain, { replaceEvidence: true }), {
          dryRun: false,
          stagesFor: (table) => {
            const checksum = expected.get(table) ?? new RowSetChecksum();
            expected.set(table, checksum);
            return [checksum.hasher()];
          },
        });
        const mismatched: string[] = [];
        for (const table of lastManifestTables(chain)) {
          const found = await this.tableChecksum(client, table.name, table.columns);
          if (found !== (expected.get(table.name) ?? new RowSetChecksum()).value) mismatched.push(table.name);
        }
        return { ok: mismatched.length === 0, tables: expected.size, mismatched };
      } finally {
        await client.end();
      }
    });
  }

  private async tableChecksum(
    client: Parameters<typeof applyCopySession>[0],
    table: string,
    columns: string[],
  ): Promise<string> {
    await applyCopySession(client);
    const checksum = new RowSetChecksum();
    const source = client.query(
      copyTo(`COPY (SELECT ${columnList(columns)} FROM ${quoteIdentifier(table)}) TO STDOUT`),
    );
    await pipeline(source, checksum.hasher(), discard());
    return checksum.value;
  }
}

function lastManifestTables(chain: BackupReader[]) {
  return chain[chain.length - 1].manifest.tables;
}
