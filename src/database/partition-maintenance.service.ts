import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { databaseConfig } from '../config';
import { AdvisoryLockService } from './advisory-lock.service';
import { JobTicks } from './job-ticks.service';
import { postgresErrorCode } from './postgres-errors.util';
import {
  isWhollyExpired,
  type MonthlyPartition,
  monthlyPartition,
  monthStart,
  parseMonthlyPartition,
} from './monthly-partition.util';

/** A range-partitioned, append-only table whose partitions this service keeps, declared by the module that owns it. */
export interface PartitionedTable {
  table: string;
  /** The partition key: a timestamptz column. */
  timeColumn: string;
  /** Partitions wholly older than this many days are dropped. */
  retentionDays: number;
  /** An advisory lock to hold while dropping (the audit chain's: nothing is appended meanwhile). */
  dropLock?: string;
  /** Runs in the dropping transaction, after the drop, with the rows each dropped partition held (audit: a checkpoint). */
  afterDrop?: (manager: EntityManager, droppedRows: bigint) => Promise<void>;
  /** Runs once the drop committed (audit: recording it). */
  onDropped?: (partitions: string[]) => Promise<void>;
}

export interface PartitionStats {
  /** Rows that landed in each table's DEFAULT partition (no month partition yet) at the last upkeep. */
  strays: Map<string, number>;
  movedStrays: number;
}

const UPKEEP_LOCK = 'sentinel:partition-upkeep';

/**
 * Upkeep for the append-only tables that are range-partitioned by month
 * (audit log, stored logs, metrics, security events): the partitions of the
 * previous, current and next months (PARTITION_MONTHS_BEHIND/AHEAD) exist
 * ahead of time, rows that still found no partition (a clock behind, a
 * restore, an import) wait in the DEFAULT partition until they are moved
 * into their own, and retention drops whole partitions instead of deleting
 * rows. Runs at start and daily, on one instance at a time.
 */
@Injectable()
export class PartitionMaintenanceService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Partitions');
  private readonly tables = new Map<string, PartitionedTable>();
  readonly stats: PartitionStats = { strays: new Map(), movedStrays: 0 };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly locks: AdvisoryLockService,
    private readonly ticks: JobTicks,
    private readonly clock: Clock,
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
  ) {}

  /** Declares a table to keep; modules call this from onModuleInit. */
  register(table: PartitionedTable): void {
    this.tables.set(table.table, table);
  }

  /** At start too, so a new table or month is ready before the first row; upkeep is idempotent. */
  async onApplicationBootstrap(): Promise<void> {
    await this.guarded(() => this.upkeep());
  }

  private async guarded(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.error(`partition upkeep failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  @Cron(CronExpression.EVERY_DAY_AT_3AM, { name: 'partition-upkeep' })
  async runScheduled(): Promise<void> {
    await this.guarded(() => this.ticks.runOncePerTick('partition-upkeep', () => this.upkeep()));
  }

  /** One pass over every registered table; the partitions dropped by table, or undefined when another instance runs it. */
  async upkeep(now = this.clock.now()): Promise<Map<string, string[]> | undefined> {
    const run = await this.locks.withAdvisoryLock(UPKEEP_LOCK, async () => {
      const dropped = new Map<string, string[]>();
      for (const spec of this.tables.values()) {
        await this.ensureMonthlyPartitions(
          spec.table,
          now,
          this.config.partitionMonthsAhead,
          this.config.partitionMonthsBehind,
        );
        await this.moveStrays(spec);
        dropped.set(spec.table, await this.dropExpired(spec, now));
      }
      return dropped;
    });
    return run.acquired ? run.result : undefined;
  }

  /**
   * Creates the partitions from `monthsBehind` before the month of `now` to
   * `monthsAhead` after it, where missing; rows of those months waiting in
   * the DEFAULT partition move into them. A month retention would drop at
   * once is not made.
   */
  async ensureMonthlyPartitions(
    table: string,
    now: Date,
    monthsAhead = 1,
    monthsBehind = 0,
    retentionDays = Number.POSITIVE_INFINITY,
  ): Promise<string[]> {
    const created: string[] = [];
    for (let offset = -monthsBehind; offset <= monthsAhead; offset++) {
      const partition = monthlyPartition(table, now, offset);
      if (isWhollyExpired(partition, now, retentionDays)) continue;
      if (await this.createPartition(table, partition)) created.push(partition.name);
    }
    if (created.length > 0) this.logger.log(`created partitions ${created.join(', ')}`);
    return created;
  }

  /** Makes sure every month from `from` to `to` has its partition, before a restore or an import writes into them. */
  async ensurePartitionsCovering(table: string, from: Date, to: Date): Promise<string[]> {
    const created: string[] = [];
    for (let month = monthStart(from); month <= to; month = monthStart(month, 1)) {
      const partition = monthlyPartition(table, month);
      if (await this.createPartition(table, partition)) created.push(partition.name);
    }
    return created;
  }

  /** Drops the partitions of `table` whose every possible row is older than `retentionDays`. */
  async dropExpiredPartitions(table: string, now: Date, retentionDays: number): Promise<string[]> {
    return this.dropExpired({ table, timeColumn: '', retentionDays }, now);
  }

  private async createPartition(table: string, partition: MonthlyPartition): Promise<boolean> {
    const [existing] = await this.dataSource.query<{ oid: string | null }[]>('SELECT to_regclass($1) AS oid', [
      partition.name,
    ]);
    if (existing.oid !== null) return false;
    const defaultPartition = await this.defaultPartitionOf(table);
    return this.dataSource
      .transaction(async (manager) => {
        if (defaultPartition === undefined) {
          await manager.query(
            `CREATE TABLE ${quote(partition.name)} PARTITION OF ${quote(table)} ${bounds(partition)}`,
          );
          return true;
        }
        await this.attachWithStrays(manager, table, defaultPartition, partition);
        return true;
      })
      .catch((error: unknown) => {
        // An instance starting at the same moment may have just made it.
        if (isConcurrentCreation(error)) return false;
        throw error;
      });
  }

  /**
   * A month's partition for a table that has a DEFAULT partition: rows of
   * that month already there (they would make a plain CREATE ... PARTITION OF
   * fail) move into the new table before it is attached. Inserts that would
   * land in the default wait on its lock for this short transaction.
   */
  private async attachWithStrays(
    manager: EntityManager,
    table: string,
    defaultPartition: string,
    partition: MonthlyPartition,
  ): Promise<void> {
    const column = await this.partitionColumnOf(manager, table);
    await manager.query(`LOCK TABLE ${quote(defaultPartition)} IN SHARE ROW EXCLUSIVE MODE`);
    await manager.query(
      `CREATE TABLE ${quote(partition.name)} (LIKE ${quote(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    );
    const [{ moved }] = await manager.query<{ moved: number }[]>(
      `WITH moved AS (DELETE FROM ${quote(defaultPartition)} WHERE ${quote(column)} >= $1 AND ${quote(column)} < $2 RETURNING *),
            inserted AS (INSERT INTO ${quote(partition.name)} SELECT * FROM moved RETURNING 1)
       SELECT count(*)::int AS moved FROM inserted`,
      [partition.from, partition.to],
    );
    await manager.query(`ALTER TABLE ${quote(table)} ATTACH PARTITION ${quote(partition.name)} ${bounds(partition)}`);
    if (moved > 0) {
      this.stats.movedStrays += moved;
      this.logger.log(`moved ${moved} rows of ${table} from its default partition into ${partition.name}`);
    }
  }

  /** Gives every stray month in the DEFAULT partition its own partition, and counts what is left. */
  private async moveStrays(spec: PartitionedTable): Promise<void> {
    const defaultPartition = await this.defaultPartitionOf(spec.table);
    if (defaultPartition === undefined) return;
    const months = await this.dataSource.query<{ month: Date }[]>(
      `SELECT DISTINCT date_trunc('month', ${quote(spec.timeColumn)} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month
         FROM ${quote(defaultPartition)}`,
    );
    for (const { month } of months) await this.createPartition(spec.table, monthlyPartition(spec.table, month));
    const [left] = await this.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM ${quote(defaultPartition)}`,
    );
    this.stats.strays.set(spec.table, left.count);
  }

  private async dropExpired(spec: PartitionedTable, now: Date): Promise<string[]> {
    const expired = (await this.childPartitions(spec.table))
      .map((name) => parseMonthlyPartition(spec.table, name))
      .filter(
        (partition): partition is MonthlyPartition =>
          partition !== undefined && isWhollyExpired(partition, now, spec.retentionDays),
      )
      .map((partition) => partition.name)
      .sort();
    if (expired.length === 0) return [];
    await this.dataSource.transaction(async (manager) => {
      if (spec.dropLock) await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [spec.dropLock]);
      let rows = 0n;
      for (const name of expired) {
        const [{ count }] = await manager.query<{ count: string }[]>(
          `SELECT count(*)::text AS count FROM ${quote(name)}`,
        );
        rows += BigInt(count);
        await manager.query(`DROP TABLE IF EXISTS ${quote(name)}`);
      }
      await spec.afterDrop?.(manager, rows);
    });
    this.logger.log(`dropped expired partitions ${expired.join(', ')}`);
    await spec.onDropped?.(expired);
    return expired;
  }

  private async childPartitions(table: string): Promise<string[]> {
    const rows = await this.dataSource.query<{ name: string }[]>(
      `SELECT child.relname AS name
         FROM pg_inherits
         JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
         JOIN pg_class child ON child.oid = pg_inherits.inhrelid
        WHERE parent.oid = to_regclass($1)`,
      [table],
    );
    return rows.map((row) => row.name);
  }

  private async defaultPartitionOf(table: string): Promise<string | undefined> {
    const rows = await this.dataSource.query<{ name: string }[]>(
      `SELECT child.relname AS name
         FROM pg_partitioned_table partitioned
         JOIN pg_class child ON child.oid = partitioned.partdefid
        WHERE partitioned.partrelid = to_regclass($1)`,
      [table],
    );
    return rows.at(0)?.name;
  }

  private async partitionColumnOf(manager: EntityManager, table: string): Promise<string> {
    const [row] = await manager.query<{ column: string }[]>(
      `SELECT attribute.attname AS column
         FROM pg_partitioned_table partitioned
         JOIN pg_attribute attribute ON attribute.attrelid = partitioned.partrelid AND attribute.attnum = partitioned.partattrs[0]
        WHERE partitioned.partrelid = to_regclass($1)`,
      [table],
    );
    return row.column;
  }
}

function bounds(partition: MonthlyPartition): string {
  return `FOR VALUES FROM ('${partition.from.toISOString()}') TO ('${partition.to.toISOString()}')`;
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
