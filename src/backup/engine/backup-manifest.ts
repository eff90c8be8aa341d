import type { ClientBase } from 'pg';
import type { CatalogSequence, CatalogTable } from './table-catalog';

export type BackupType = 'full' | 'incremental';

/** One table's stream in the file. */
export interface ManifestTable extends CatalogTable {
  /** Position of its segment among the file's segments. */
  segment: number;
  /** Where the segment starts in the file, and its length in bytes. */
  offset: number;
  length: number;
  rows: number;
  /** Length of the COPY text data. */
  bytes: number;
  /** SHA-256 of the COPY text data, before compression and encryption. */
  sha256: string;
  /** `all` rows, or for an append-only table in an incremental backup, those written `since-parent`. */
  contents: 'all' | 'since-parent';
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
