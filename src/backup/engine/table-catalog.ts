import type { ClientBase } from 'pg';

/**
 * How a table is backed up and restored. Range-partitioned tables are the
 * append-only ones (audit trail, security events, stored logs, metrics): an
 * incremental backup takes only their new rows, and a point-in-time restore
 * keeps their rows up to T by the partition key. Tables named `audit_*` are
 * evidence: a restore merges them instead of replacing them.
 */
export interface CatalogTable {
  name: string;
  kind: 'mutable' | 'append-only';
  evidence: boolean;
  /** The partition key of an append-only table: when each row was created. */
  timeColumn?: string;
  columns: string[];
  primaryKey: string[];
  /** A GENERATED ALWAYS identity column, which COPY cannot fill: loaded through INSERT ... OVERRIDING SYSTEM VALUE. */
  identityAlways: boolean;
  partitions: { name: string; bound: string }[];
}

export interface CatalogSequence {
  name: string;
  /** The table whose ids it hands out (owned by it, its column default, or named `<table>_...`). */
  table: string | null;
  lastValue: string;
  isCalled: boolean;
}

/** Sentinel's bookkeeping, not data: the schema version is recorded apart, and the backup catalogue describes the backups. */
export const UNSAVED_TABLES = ['schema_migrations', 'backups', 'restores', 'audit_outbox'];

const EVIDENCE = /^audit_/;

interface TableRow {
  name: string;
  partitioned: boolean;
  time_column: string | null;
  columns: string[];
  primary_key: string[] | null;
  identity_always: boolean;
}

export async function readCatalog(client: ClientBase): Promise<CatalogTable[]> {
  const { rows } = await client.query<TableRow>(
    `SELECT c.relname AS name, c.relkind = 'p' AS partitioned,
            (SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a
                ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
              WHERE p.partrelid = c.oid AND p.partstrat = 'r') AS time_column,
            ARRAY(SELECT a.attname::text FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                   ORDER BY a.attnum) AS columns,
            (SELECT ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, position)
                            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.attnum ORDER BY u.position)
               FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS primary_key,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attidentity = 'a') AS identity_always
       FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND c.relname <> ALL ($1)
      ORDER BY c.relname`,
    [UNSAVED_TABLES],
  );
  const partitions = await readPartitions(client);
  return rows.map((row) => ({
    name: row.name,
    kind: row.time_column ? 'append-only' : 'mutable',
    evidence: EVIDENCE.test(row.name),
    timeColumn: row.time_column ?? undefined,
    columns: row.columns,
    primaryKey: row.primary_key ?? [],
    identityAlways: row.identity_always,
    partitions: partitions.get(row.name) ?? [],
  }));
}

async function readPartitions(client: ClientBase): Promise<Map<string, { name: string; bound: string }[]>> {
  const { rows } = await client.query<{ parent: string; name: string; bound: string }>(
    `SELECT parent.relname AS parent, child.relname AS name, pg_get_expr(child.relpartbound, child.oid) AS bound
       FROM pg_inherits
       JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
       JOIN pg_class child ON child.oid = pg_inherits.inhrelid
      WHERE parent.relnamespace = current_schema()::regnamespace
      ORDER BY parent.relname, child.relname`,
  );
  const byParent = new Map<string, { name: string; bound: string }[]>();
  for (const row of rows) {
    byParent.set(row.parent, [...(byParent.get(row.parent) ?? []), { name: row.name, bound: row.bound }]);
  }
  return byParent;
}

export async function readSequences(client: ClientBase, tables: readonly string[]): Promise<CatalogSequence[]> {
  const { rows } = await client.query<{ name: string; owner: string | null }>(
    `SELECT s.relname AS name,
            (SELECT t.relname FROM pg_depend d
               JOIN pg_class t ON t.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
              WHERE d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
             UNION
             SELECT t.relname FROM pg_depend d
               JOIN pg_attrdef ad ON ad.oid = d.objid AND d.classid = 'pg_attrdef'::regclass
               JOIN pg_class t ON t.oid = ad.adrelid
              WHERE d.refobjid = s.oid AND d.refclassid = 'pg_class'::regclass
             LIMIT 1) AS owner
       FROM pg_class s
      WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace
      ORDER BY s.relname`,
  );
  const sequences: CatalogSequence[] = [];
  for (const row of rows) {
    const { rows: values } = await client.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text, is_called FROM ${quoteIdentifier(row.name)}`,
    );
    const table = row.owner ?? tables.find((name) => row.name.startsWith(`${name}_`)) ?? null;
    sequences.push({ name: row.name, table, lastValue: values[0].last_value, isCalled: values[0].is_called });
  }
  return sequences;
}

/** A relation's size on disk: its bytes (a parent's partitions included) and the heap blocks of its own storage. */
export interface RelationSize {
  bytes: number;
  blocks: number;
}

/** The size of each table or partition: the parallel backup starts with the largest and reads a large one in pieces. */
export async function relationSizes(
  client: ClientBase,
  relations: readonly string[],
): Promise<Map<string, RelationSize>> {
  const { rows } = await client.query<{ name: string; bytes: string; blocks: string }>(
    `SELECT c.relname AS name,
            (CASE c.relkind WHEN 'p' THEN (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t)
                            ELSE pg_relation_size(c.oid) END)::text AS bytes,
            (pg_relation_size(c.oid) / current_setting('block_size')::int)::text AS blocks
       FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY ($1) AND c.relkind IN ('r', 'p')`,
    [relations],
  );
  return new Map(rows.map((row) => [row.name, { bytes: Number(row.bytes), blocks: Number(row.blocks) }]));
}

// A bound as pg_get_expr prints it: DEFAULT, or FOR VALUES FROM/TO or IN over quoted literals, numbers, MINVALUE and
// MAXVALUE. A quoted literal cannot end early ('' is its only quote), so nothing else can ride along.
const BOUND_VALUE = String.raw`(?:'(?:[^']|'')*'|MINVALUE|MAXVALUE|-?\d+(?:\.\d+)?)`;
const BOUND_VALUES = `${BOUND_VALUE}(?:, ${BOUND_VALUE})*`;
const PARTITION_BOUND = new RegExp(
  `^(?:DEFAULT|FOR VALUES FROM \\(${BOUND_VALUES}\\) TO \\(${BOUND_VALUES}\\)|FOR VALUES IN \\(${BOUND_VALUES}\\))$`,
);

/**
 * Whether a manifest's partition bound is one PostgreSQL printed, and so safe to put into CREATE TABLE ... PARTITION OF:
 * an unencrypted backup's manifest is only as trustworthy as the storage it was read from.
 */
export function isPartitionBound(bound: string): boolean {
  return PARTITION_BOUND.test(bound);
}

export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

export function columnList(columns: readonly string[]): string {
  return columns.map(quoteIdentifier).join(', ');
}
