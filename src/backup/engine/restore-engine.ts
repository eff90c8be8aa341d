import type { Transform } from 'node:stream';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { applyCopySession, type ManifestSegment, type ManifestTable } from './backup-manifest';
import type { RestorePlan, RestoreTablePlan } from './restore-plan';
import { columnList, isPartitionBound, quoteIdentifier as q } from './table-catalog';

export interface RestoreProgress {
  table?: string;
  tablesDone: number;
  tablesTotal: number;
  rowsDone: number;
  rowsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface TableReport {
  table: string;
  mode: 'replace' | 'merge';
  rowsBefore: number;
  rowsAfter: number;
}

export interface RestoreRunOptions {
  /** Do all the work, report, and roll back. */
  dryRun: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: RestoreProgress) => void;
  /** Extra stages each table's COPY data passes through on its way in (the restore drill hashes rows there). */
  stagesFor?: (table: string) => Transform[];
  /**
   * Runs inside the restore's transaction just before it commits (never on a
   * dry run), with the report; throwing rolls everything back. What it writes
   * commits with the restored data or not at all.
   */
  beforeCommit?: (client: Client, report: TableReport[]) => Promise<void>;
}

export class RestoreCheckError extends Error {}

/** The audit trail's head is not merged row by row: it is realigned to the newest record of the merged trail. */
const AUDIT_TRAIL = 'audit_logs';
const CHAIN_HEAD = 'audit_chain_head';
/** Serialises with the audit chain's appenders (AuditChainRepository), so no record is added mid-merge. */
const CHAIN_LOCK = 'sentinel:audit-chain';

interface ForeignKey {
  table: string;
  name: string;
  definition: string;
}

/** An index of a replaced table, and the primary key, unique or exclusion constraint it backs (if any). */
interface TableIndex {
  table: string;
  name: string;
  definition: string;
  constraint: string | null;
  constraint_definition: string | null;
}

/**
 * Loads `plan` into the database of `client` in ONE transaction: the replaced
 * tables are truncated and copied in, the evidence tables merged, foreign keys
 * re-checked, sequences reset. Any failure (a damaged chunk, a checksum or row
 * count that does not match, a violated constraint, a cancel) rolls all of it
 * back; a dry run rolls back on purpose, after measuring.
 */
export async function runRestore(
  client: Client,
  plan: RestorePlan,
  options: RestoreRunOptions,
): Promise<TableReport[]> {
  await applyCopySession(client);
  await client.query('BEGIN');
  try {
    const reports = await restoreInTransaction(client, plan, options);
    options.signal?.throwIfAborted();
    if (!options.dryRun) await options.beforeCommit?.(client, reports);
    await client.query(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    return reports;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function restoreInTransaction(
  client: Client,
  plan: RestorePlan,
  options: RestoreRunOptions,
): Promise<TableReport[]> {
  const replaced = plan.tables.filter((entry) => entry.mode === 'replace').map((entry) => entry.table.name);
  const merged = plan.tables.filter((entry) => entry.mode === 'merge').map((entry) => entry.table.name);
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [CHAIN_LOCK]);
  if (replaced.length > 0) await client.query(`LOCK TABLE ${replaced.map(q).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  if (merged.length > 0) await client.query(`LOCK TABLE ${merged.map(q).join(', ')} IN EXCLUSIVE MODE`);
  const before = await countRows(client, plan.tables);
  const emptyEvidence = evidenceWithNothingToMerge(plan, before);
  if (emptyEvidence.length > 0) {
    await client.query(`LOCK TABLE ${emptyEvidence.map(q).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  }
  const foreignKeys = await dropForeignKeys(client, replaced);
  if (replaced.length > 0) await client.query(`TRUNCATE ${replaced.map(q).join(', ')}`);
  const indexes = await dropIndexes(client, [...replaced, ...emptyEvidence]);
  const progress = newProgress(plan);
  // A replaced table was emptied: it holds what its load put in, so it need not be counted again.
  const loaded = new Map<string, number>();
  for (const entry of plan.tables) {
    options.signal?.throwIfAborted();
    progress.table = entry.table.name;
    await ensurePartitions(client, entry);
    const direct = entry.mode === 'replace' || emptyEvidence.includes(entry.table.name);
    loaded.set(entry.table.name, await loadTable(client, entry, direct, progress, options));
    progress.tablesDone++;
    options.onProgress?.({ ...progress });
  }
  await rebuildIndexes(client, indexes, options.signal);
  for (const key of foreignKeys) {
    options.signal?.throwIfAborted();
    await client.query(`ALTER TABLE ${q(key.table)} ADD CONSTRAINT ${q(key.name)} ${key.definition}`);
  }
  if (plan.tables.some((entry) => entry.table.name === AUDIT_TRAIL)) await realignChainHead(client, replaced);
  await resetSequences(client, plan, merged);
  const after = new Map([
    ...loaded,
    ...(await countRows(
      client,
      plan.tables.filter((entry) => entry.mode === 'merge'),
    )),
  ]);
  checkReplacedCounts(plan, after);
  return plan.tables.map((entry) => ({
    table: entry.table.name,
    mode: entry.mode,
    rowsBefore: before.get(entry.table.name) ?? 0,
    rowsAfter: after.get(entry.table.name) ?? 0,
  }));
}

function newProgress(plan: RestorePlan): RestoreProgress {
  const sources = plan.tables.flatMap((entry) => entry.sources);
  return {
    tablesDone: 0,
    tablesTotal: plan.tables.length,
    rowsDone: 0,
    rowsTotal: sources.reduce((sum, source) => sum + source.table.rows, 0),
    bytesDone: 0,
    bytesTotal: sources.reduce((sum, source) => sum + source.table.bytes, 0),
  };
}

async function countRows(client: Client, tables: RestoreTablePlan[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { table } of tables) {
    const { rows } = await client.query<{ count: string }>(`SELECT count(*) AS count FROM ${q(table.name)}`);
    counts.set(table.name, Number(rows[0].count));
  }
  return counts;
}

/**
 * Foreign keys to the replaced tables: dropped for the load and added back,
 * which checks every row. A key from a replaced table to one left as it is
 * stays and checks each row as it is copied in: dropping it would lock the
 * other table (PostgreSQL takes ACCESS EXCLUSIVE on both ends), and a restore
 * of the agents would then stop every request that reads the users.
 */
async function dropForeignKeys(client: Client, tables: string[]): Promise<ForeignKey[]> {
  if (tables.length === 0) return [];
  const { rows } = await client.query<ForeignKey>(
    `SELECT rel.relname AS table, con.conname AS name, pg_get_constraintdef(con.oid) AS definition
       FROM pg_constraint con
       JOIN pg_class rel ON rel.oid = con.conrelid
       JOIN pg_class ref ON ref.oid = con.confrelid
      WHERE con.contype = 'f' AND con.conparentid = 0 AND rel.relnamespace = current_schema()::regnamespace
        AND ref.relname = ANY ($1)
      ORDER BY rel.relname, con.conname`,
    [tables],
  );
  for (const key of rows) await client.query(`ALTER TABLE ${q(key.table)} DROP CONSTRAINT ${q(key.name)}`);
  return rows;
}

/**
 * The replaced tables' indexes and the constraints they back, dropped once the
 * tables are empty and built again after the load, as pg_restore does: one
 * sort per index instead of one index insertion per row.
 */
async function dropIndexes(client: Client, tables: string[]): Promise<TableIndex[]> {
  if (tables.length === 0) return [];
  const { rows } = await client.query<TableIndex>(
    `SELECT rel.relname AS table, idx.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
            con.conname AS constraint, pg_get_constraintdef(con.oid) AS constraint_definition
       FROM pg_index i
       JOIN pg_class idx ON idx.oid = i.indexrelid
       JOIN pg_class rel ON rel.oid = i.indrelid
       LEFT JOIN pg_constraint con
         ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
      WHERE rel.relnamespace = current_schema()::regnamespace AND rel.relname = ANY ($1)
      ORDER BY rel.relname, idx.relname`,
    [tables],
  );
  for (const index of rows) {
    await client.query(
      index.constraint
        ? `ALTER TABLE ${q(index.table)} DROP CONSTRAINT ${q(index.constraint)}`
        : `DROP INDEX ${q(index.name)}`,
    );
  }
  return rows;
}

async function rebuildIndexes(client: Client, indexes: TableIndex[], signal: AbortSignal | undefined): Promise<void> {
  // Under the server's own maintenance_work_mem, as pg_restore builds them. A larger one lets PostgreSQL add
  // parallel sort workers (each participant needs 32 MB): measured here, 256 MB ran three on two cores, and
  // the index builds took longer than pg_restore's.
  for (const index of indexes) {
    signal?.throwIfAborted();
    await client.query(
      index.constraint
        ? `ALTER TABLE ${q(index.table)} ADD CONSTRAINT ${q(index.constraint)} ${index.constraint_definition ?? ''}`
        : // An index of a partitioned table reads `ON ONLY`: built on the parent alone; here, on every partition too.
          index.definition.replace(' ON ONLY ', ' ON '),
    );
  }
}

/** The partitions the backed-up rows live in; a new machine has only this month's and next. */
async function ensurePartitions(client: Client, entry: RestoreTablePlan): Promise<void> {
  const seen = new Set<string>();
  for (const { table } of entry.sources) {
    for (const partition of table.partitions) {
      if (seen.has(partition.name)) continue;
      seen.add(partition.name);
      if (!isPartitionBound(partition.bound)) {
        throw new RestoreCheckError(
          `${entry.table.name}: the backup gives partition ${partition.name} an unreadable bound`,
        );
      }
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${q(partition.name)} PARTITION OF ${q(entry.table.name)} ${partition.bound}`,
      );
    }
  }
}

/**
 * Evidence tables that hold no rows yet (a new machine's trail): merging into
 * them adds every row of the backup, so they load as a replaced table does,
 * by COPY straight in with their indexes built after, instead of through a
 * staging table and a row-by-row anti-join. The chain head is realigned, never loaded.
 */
function evidenceWithNothingToMerge(plan: RestorePlan, before: Map<string, number>): string[] {
  return plan.tables
    .filter((entry) => entry.mode === 'merge' && entry.table.name !== CHAIN_HEAD && !entry.until)
    .filter((entry) => before.get(entry.table.name) === 0)
    .map((entry) => entry.table.name);
}

/** `straightIn`: the table was empty or emptied, so the rows may be copied into it directly. */
async function loadTable(
  client: Client,
  entry: RestoreTablePlan,
  straightIn: boolean,
  progress: RestoreProgress,
  options: RestoreRunOptions,
): Promise<number> {
  const direct = straightIn && !entry.until && !entry.table.identityAlways;
  const target = direct ? entry.table.name : `restore_staging_${entry.table.name}`.slice(0, 63);
  if (!direct) {
    await client.query(`CREATE TEMP TABLE ${q(target)} (LIKE ${q(entry.table.name)}) ON COMMIT DROP`);
  }
  const columns = columnList(entry.table.columns);
  const into = direct ? await copyTargets(client, entry) : { of: () => target, freeze: () => false };
  let copied = 0;
  for (const source of entry.sources) {
    for (const segment of source.table.segments) {
      const relation = into.of(source.table, segment);
      const freeze = into.freeze(relation) ? ' WITH (FREEZE)' : '';
      const copy = client.query(copyFrom(`COPY ${q(relation)} (${columns}) FROM STDIN${freeze}`));
      await source.reader.pipeSegment(
        source.table,
        segment,
        [...(options.stagesFor?.(entry.table.name) ?? []), copy],
        (bytes, rows) => {
          progress.bytesDone += bytes;
          progress.rowsDone += rows;
          options.onProgress?.({ ...progress });
        },
        options.signal,
      );
      copied += copy.rowCount;
    }
  }
  if (direct) return copied;
  let inserted = 0;
  if (entry.mode === 'merge') await mergeEvidence(client, entry, target);
  else inserted = (await client.query(insertFromStaging(entry, target, '', entry.until))).rowCount ?? 0;
  await client.query(`DROP TABLE ${q(target)}`);
  return inserted;
}

interface CopyTargets {
  /** Where a segment's rows are copied: its own partition, or the table (which routes them). */
  of: (table: ManifestTable, segment: ManifestSegment) => string;
  /** Whether rows may be copied in frozen (COPY FREEZE), with no hint bits left to set by the first reads. */
  freeze: (relation: string) => boolean;
}

/**
 * A partition's segment goes straight into that partition when this database's
 * partition of the name has the same bounds as the backup's (the load then
 * checks each row against them), as pg_restore loads leaves; a default
 * partition's rows always go through the table, which may have a proper
 * partition for some. Rows go in frozen where this transaction emptied or
 * made the relation, which is what COPY FREEZE requires (never a partitioned
 * table itself); an evidence table that was merely empty is not.
 */
async function copyTargets(client: Client, entry: RestoreTablePlan): Promise<CopyTargets> {
  const { rows } = await client.query<{ name: string; bound: string | null; kind: string; parent: boolean }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, c.relkind::text AS kind, c.oid = t.oid AS parent
       FROM pg_class t
       JOIN pg_class c ON c.oid = t.oid OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = t.oid)
      WHERE t.oid = $1::regclass`,
    [q(entry.table.name)],
  );
  const here = new Map(rows.filter((row) => !row.parent).map((row) => [row.name, row]));
  const emptied = entry.mode === 'replace';
  return {
    of: (table, segment) => {
      const bound = table.partitions.find((partition) => partition.name === segment.partition)?.bound;
      const leaf = segment.partition === undefined ? undefined : here.get(segment.partition);
      return leaf && bound && bound !== 'DEFAULT' && leaf.bound === bound ? leaf.name : entry.table.name;
    },
    freeze: (relation) => emptied && rows.some((row) => row.name === relation && row.kind === 'r'),
  };
}

function insertFromStaging(
  entry: RestoreTablePlan,
  staging: string,
  condition: string,
  until: Date | undefined,
): {
  text: string;
  values: unknown[];
} {
  const columns = columnList(entry.table.columns);
  const timeColumn = entry.table.timeColumn;
  const clauses = [condition, until && timeColumn ? `s.${q(timeColumn)} <= $1` : ''].filter(Boolean);
  return {
    text: `INSERT INTO ${q(entry.table.name)} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${entry.table.columns.map((c) => `s.${q(c)}`).join(', ')}
             FROM ${q(staging)} s ${clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : ''}`,
    values: until && timeColumn ? [until] : [],
  };
}

/**
 * Evidence rows the database lacks (by primary key) are added; rows it has
 * are kept. A row present in both with different content means the two trails
 * are different histories, which no merge can make verifiable: refused.
 */
async function mergeEvidence(client: Client, entry: RestoreTablePlan, staging: string): Promise<void> {
  if (entry.table.name === CHAIN_HEAD) return;
  const table = q(entry.table.name);
  const key = entry.table.primaryKey;
  const all = (alias: string) => `ROW(${entry.table.columns.map((c) => `${alias}.${q(c)}`).join(', ')})`;
  if (key.length > 0) {
    const match = key.map((c) => `t.${q(c)} = s.${q(c)}`).join(' AND ');
    const { rows } = await client.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${q(staging)} s JOIN ${table} t ON ${match} WHERE ${all('s')} IS DISTINCT FROM ${all('t')}`,
    );
    if (Number(rows[0].count) > 0) {
      throw new RestoreCheckError(
        `${entry.table.name}: ${rows[0].count} rows of the backup differ from rows with the same key in the database; ` +
          'the trails are different histories (restore with the audit trail replaced to keep the backup’s)',
      );
    }
    await client.query(
      insertFromStaging(entry, staging, `NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${match})`, entry.until),
    );
  } else {
    await client.query(
      insertFromStaging(
        entry,
        staging,
        `NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${all('t')} IS NOT DISTINCT FROM ${all('s')})`,
        entry.until,
      ),
    );
  }
}

/**
 * The chain head names the trail's newest record: after a merge the newer of
 * the two heads is kept; after a replace the backup's own head stays unless a
 * point in time cut the records it named.
 */
async function realignChainHead(client: Client, replaced: string[]): Promise<void> {
  if (replaced.includes(AUDIT_TRAIL)) {
    await client.query(
      `DELETE FROM ${q(CHAIN_HEAD)} h WHERE NOT EXISTS (
         SELECT 1 FROM ${q(AUDIT_TRAIL)} l
          WHERE l.id = h.last_id AND l.hash = h.last_hash AND l.id = (SELECT max(id) FROM ${q(AUDIT_TRAIL)}))`,
    );
  }
  await client.query(
    `INSERT INTO ${q(CHAIN_HEAD)} (singleton, last_id, last_hash, updated_at)
     SELECT true, id, hash, now() FROM ${q(AUDIT_TRAIL)} ORDER BY id DESC LIMIT 1
     ON CONFLICT (singleton) DO UPDATE SET last_id = EXCLUDED.last_id, last_hash = EXCLUDED.last_hash, updated_at = now()
      WHERE ${q(CHAIN_HEAD)}.last_id < EXCLUDED.last_id`,
  );
}

/** Replaced tables get the backup's sequence values; merged ones keep whichever is further on. */
async function resetSequences(client: Client, plan: RestorePlan, merged: string[]): Promise<void> {
  for (const sequence of plan.sequences) {
    const keep = sequence.table !== null && merged.includes(sequence.table);
    await client.query(
      keep
        ? `SELECT setval($1::regclass, greatest($2::bigint, (SELECT last_value FROM ${q(sequence.name)})), true)`
        : 'SELECT setval($1::regclass, $2::bigint, $3)',
      keep ? [q(sequence.name), sequence.lastValue] : [q(sequence.name), sequence.lastValue, sequence.isCalled],
    );
  }
}

/** A replaced table loaded whole must hold exactly the rows its streams carried, as COPY counted them. */
function checkReplacedCounts(plan: RestorePlan, after: Map<string, number>): void {
  for (const entry of plan.tables) {
    if (entry.mode !== 'replace' || entry.until) continue;
    const expected = entry.sources.reduce((sum, source) => sum + source.table.rows, 0);
    const found = after.get(entry.table.name) ?? 0;
    if (found !== expected) {
      throw new RestoreCheckError(`${entry.table.name} holds ${found} rows after the load, ${expected} expected`);
    }
  }
}
