import type { ClientBase } from 'pg';
import type { CatalogSequence, CatalogTable } from './table-catalog';

export type BackupType = 'full' | 'incremental';

/** Heap blocks [from, to) of a relation; without `to`, to its end, however far it grew after it was measured. */
export interface BlockRange {
  from: number;
  to?: number;
}

/** One COPY stream in the file: a table's rows, those of one of its partitions, or of a block range of either. */
export interface ManifestSegment {
  /** Position of the segment among the file's segments. */
  segment: number;
  /** Where the segment starts in the file, and its length in bytes. */
  offset: number;
  length: number;
  rows: number;
  /** Length of the COPY text data. */
  bytes: number;
  /** SHA-256 of the COPY text data, before compression and encryption. */
  sha256: string;
  /**
   * The partition whose rows the segment holds; absent when it holds the whole table. A partitioned
   * table is streamed partition by partition, so a restore can copy each stream straight into its leaf.
   */
  partition?: string;
  /**
   * The blocks it read, when a large relation was read as several streams at once; its segments
   * follow each other in block order and together hold all its rows.
   */
  blocks?: BlockRange;
}

/** One table of the backup: its rows in one segment, or in several (per partition, per block range). */
export interface ManifestTable extends CatalogTable {
  /** The rows and COPY text length of all its segments together. */
  rows: number;
  bytes: number;
  /** `all` rows, or for an append-only table in an incremental backup, those written `since-parent`. */
  contents: 'all' | 'since-parent';
  segments: ManifestSegment[];
}

/** How a table was described before partitions had segments of their own: one segment, inline. */
type InlineSegmentTable = Omit<ManifestTable, 'segments'> & Omit<ManifestSegment, 'partition'>;

/** A manifest as read from a file, whichever shape its tables were written in. */
export function withSegments(manifest: BackupManifest): BackupManifest {
  const tables = (manifest.tables as (ManifestTable | InlineSegmentTable)[]).map((table) => {
    if ('segments' in table) return table;
    const { segment, offset, length, sha256, ...rest } = table;
    return { ...rest, segments: [{ segment, offset, length, rows: table.rows, bytes: table.bytes, sha256 }] };
  });
  return { ...manifest, tables };
}

/** The label that binds a segment's authenticated chunks to what it holds. */
export function segmentLabel(table: string, segment: Pick<ManifestSegment, 'partition'>): string {
  return segment.partition === undefined ? `table:${table}` : `partition:${table}/${segment.partition}`;
}

/** How a message names a segment: its table, and its partition and blocks where it has them. */
export function describeSegment(table: string, segment: Pick<ManifestSegment, 'partition' | 'blocks'>): string {
  const partition = segment.partition === undefined ? '' : ` (partition ${segment.partition})`;
  const blocks = segment.blocks ? ` (blocks ${segment.blocks.from} to ${segment.blocks.to ?? 'the end'})` : '';
  return `table ${table}${partition}${blocks}`;
}

/** The last segment of a backup file: what it holds and how to read it back. */
export interface BackupManifest {
  backupId: string;
  type: BackupType;
  parentId: string | null;
  /** When the snapshot was taken: the backup holds the database as it was then. */
  snapshotAt: string;
  /** The snapshot itself (pg_current_snapshot): an incremental child takes the rows it did not see. */
  snapshot: string;
  completedAt: string;
  serverVersion: string;
  /** The applied migrations: a restore refuses a backup whose schema is newer than the database's. */
  migrations: string[];
  /** Session settings the COPY text was written under, and must be read back under. */
  session: Record<string, string>;
  tables: ManifestTable[];
  sequences: CatalogSequence[];
}

/** Settings that make COPY text the same whatever the server's or role's defaults are. */
export const COPY_SESSION: Readonly<Record<string, string>> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '1',
  bytea_output: 'hex',
  client_encoding: 'UTF8',
  standard_conforming_strings: 'on',
};

export async function applyCopySession(client: ClientBase): Promise<void> {
  for (const [name, value] of Object.entries(COPY_SESSION)) {
    await client.query('SELECT set_config($1, $2, false)', [name, value]);
  }
}

export async function appliedMigrations(client: ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY timestamp, id');
  return rows.map((row) => row.name);
}

/** The migrations a backup has that the database lacks: a backup from a newer Sentinel. */
export function newerMigrations(manifest: BackupManifest, applied: readonly string[]): string[] {
  const here = new Set(applied);
  return manifest.migrations.filter((name) => !here.has(name));
}
