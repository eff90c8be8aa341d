import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdvisoryLockService } from './advisory-lock.service';
import { postgresErrorCode } from './postgres-errors.util';
import {
  isWhollyExpired,
  type MonthlyPartition,
  monthlyPartition,
  parseMonthlyPartition,
} from './monthly-partition.util';

/**
 * Upkeep for the append-only tables that are range-partitioned by month
 * (audit log, security events, stored logs, metrics): the partitions that
 * new rows need exist ahead of time, and retention drops whole partitions
 * instead of deleting rows one by one.
 */
@Injectable()
export class PartitionMaintenanceService {
  private readonly logger = new Logger(PartitionMaintenanceService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly locks: AdvisoryLockService,
  ) {}

  /**
   * One retention pass over `tables`, run by one instance at a time (the
   * advisory lock named `job`): the current and next month's partitions are
   * made ready and the wholly expired ones dropped. Returns the dropped
   * partitions, or undefined when another instance is running the job.
   */
  async maintainRetention(
    job: string,
    tables: readonly string[],
    retentionDays: number,
    now: Date,
  ): Promise<string[] | undefined> {
    const run = await this.locks.withAdvisoryLock(job, async () => {
      const dropped: string[] = [];
      for (const table of tables) {
        await this.ensureMonthlyPartitions(table, now, 1);
        dropped.push(...(await this.dropExpiredPartitions(table, now, retentionDays)));
      }
      return dropped;
    });
    return run.acquired ? run.result : undefined;
  }

  /** Creates the partitions of the current month and the `monthsAhead` following ones, where missing. */
  async ensureMonthlyPartitions(table: string, now: Date, monthsAhead = 1): Promise<string[]> {
    const created: string[] = [];
    for (let offset = 0; offset <= monthsAhead; offset++) {
      const partition = monthlyPartition(table, now, offset);
      const [existing] = await this.dataSource.query<{ oid: string | null }[]>('SELECT to_regclass($1) AS oid', [
        partition.name,
      ]);
      if (existing.oid !== null) continue;
      const made = await this.dataSource
        .query(
          `CREATE TABLE IF NOT EXISTS ${quote(partition.name)} PARTITION OF ${quote(table)}
           FOR VALUES FROM ('${partition.from.toISOString()}') TO ('${partition.to.toISOString()}')`,
        )
        .then(
          () => true,
          (error: unknown) => {
            // IF NOT EXISTS is not atomic: an instance starting at the same moment may have just made it.
            if (isConcurrentCreation(error)) return false;
            throw error;
          },
        );
      if (made) created.push(partition.name);
    }
    if (created.length > 0) this.logger.log(`created partitions ${created.join(', ')}`);
    return created;
  }

  /** Drops the partitions of `table` whose every possible row is older than `retentionDays`. */
  async dropExpiredPartitions(table: string, now: Date, retentionDays: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ name: string }[]>(
      `SELECT child.relname AS name
         FROM pg_inherits
         JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
         JOIN pg_class child ON child.oid = pg_inherits.inhrelid
        WHERE parent.oid = to_regclass($1)`,
      [table],
    );
    const expired = rows
      .map((row) => parseMonthlyPartition(table, row.name))
      .filter(
        (partition): partition is MonthlyPartition =>
          partition !== undefined && isWhollyExpired(partition, now, retentionDays),
      )
      .map((partition) => partition.name);
    for (const name of expired) {
      await this.dataSource.query(`DROP TABLE IF EXISTS ${quote(name)}`);
    }
    if (expired.length > 0) this.logger.log(`dropped expired partitions ${expired.join(', ')}`);
    return expired;
  }
}

const DUPLICATE_TABLE = '42P07';
const UNIQUE_VIOLATION = '23505';

function isConcurrentCreation(error: unknown): boolean {
  const code = postgresErrorCode(error);
  return code === DUPLICATE_TABLE || code === UNIQUE_VIOLATION;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
