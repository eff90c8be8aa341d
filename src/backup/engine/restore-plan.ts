import type { BackupManifest, ManifestTable } from './backup-manifest';
import type { BackupReader } from './backup-reader';
import type { CatalogSequence } from './table-catalog';

/** One table of a restore: where its rows come from, in load order, and whether it replaces or merges. */
export interface RestoreTablePlan {
  table: ManifestTable;
  /** `merge` for evidence: rows missing by primary key are added, existing rows stay. */
  mode: 'replace' | 'merge';
  sources: { reader: BackupReader; table: ManifestTable }[];
  /** Point in time: only append-only rows created at or before it. */
  until?: Date;
}

export interface RestorePlan {
  tables: RestoreTablePlan[];
  sequences: CatalogSequence[];
}

export interface RestorePlanOptions {
  /** Logical table names; all tables when absent. */
  tables?: readonly string[];
  pointInTime?: Date;
  /** Replace the audit trail instead of merging it (a restore onto a different installation). */
  replaceEvidence?: boolean;
}

export class RestorePlanError extends Error {
  constructor(
    readonly reason: 'unknown-table' | 'point-in-time-not-covered',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Decides what a restore of `chain` (full first, the chosen backup last)
 * loads. Mutable tables come whole from one backup: the chosen one, or with a
 * point in time T the newest of the chain taken at or before T. Append-only
 * tables take every backup's rows in order (an incremental holds only the
 * new ones), cut at T when one is given.
 */
export function planRestore(chain: readonly BackupReader[], options: RestorePlanOptions): RestorePlan {
  const newest = chain[chain.length - 1].manifest;
  const at = options.pointInTime;
  const mutableReader = at
    ? [...chain].reverse().find((reader) => new Date(reader.manifest.snapshotAt) <= at)
    : chain[chain.length - 1];
  if (!mutableReader) {
    throw new RestorePlanError(
      'point-in-time-not-covered',
      `the chain of backup ${newest.backupId} starts at ${chain[0].manifest.snapshotAt}, after ${at?.toISOString()}: choose an older backup`,
    );
  }
  const chosen = selectTables(newest, options.tables);
  return {
    tables: chosen.map((table) => ({
      table,
      mode: table.evidence && !options.replaceEvidence ? 'merge' : 'replace',
      sources:
        table.kind === 'append-only'
          ? chain.flatMap((reader) => sourceOf(reader, table.name))
          : sourceOf(mutableReader, table.name),
      until: at && table.kind === 'append-only' ? at : undefined,
    })),
    sequences: newest.sequences.filter((sequence) => chosen.some((table) => table.name === sequence.table)),
  };
}

function sourceOf(reader: BackupReader, name: string): { reader: BackupReader; table: ManifestTable }[] {
  const table = reader.manifest.tables.find((candidate) => candidate.name === name);
  return table ? [{ reader, table }] : [];
}

function selectTables(manifest: BackupManifest, names: readonly string[] | undefined): ManifestTable[] {
  if (!names) return manifest.tables;
  const unknown = names.filter((name) => !manifest.tables.some((table) => table.name === name));
  if (unknown.length > 0) {
    throw new RestorePlanError('unknown-table', `the backup has no table ${unknown.join(', ')}`);
  }
  return manifest.tables.filter((table) => names.includes(table.name));
}
