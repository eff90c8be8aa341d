import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import {
  type BackupKey,
  encodeHeader,
  encodeTrailer,
  fileKey,
  MANIFEST_LABEL,
  MANIFEST_SEGMENT,
  newHeader,
  type SegmentCipher,
  SegmentEncoder,
} from '../format/backup-file-format';
import type { BackupSink } from '../storage/backup-storage';
import {
  appliedMigrations,
  applyCopySession,
  type BackupManifest,
  type BackupType,
  COPY_SESSION,
  type ManifestTable,
} from './backup-manifest';
import { type CopyDataSummary, CopyDataTap } from './copy-data-tap';
import { sinceSnapshotFilter } from './snapshot-filter';
import { type CatalogTable, columnList, quoteIdentifier, readCatalog, readSequences } from './table-catalog';

export interface BackupWriteOptions {
  id: string;
  type: BackupType;
  /** The parent of an incremental backup: its id and the snapshot it was taken in. */
  parent?: { id: string; snapshot: string };
  compression: boolean;
  compressionLevel: number;
  key?: BackupKey;
  onProgress?: (progress: BackupWriteProgress) => void;
}

export interface BackupWriteProgress {
  table: string;
  tablesDone: number;
  tablesTotal: number;
  bytesWritten: number;
}

export interface WrittenBackup {
  manifest: BackupManifest;
  size: number;
  sha256: string;
}

/** Counts and hashes every byte on its way to the sink: the file's size and SHA-256. */
class MeasuredSink {
  offset = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly sink: BackupSink) {}

  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.offset += chunk.length;
    await this.sink.write(chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Writes one backup of the database `client` is connected to, in one
 * REPEATABLE READ READ ONLY transaction, so every table is read in the same
 * snapshot; each table streams through gzip and the chunk sealer straight
 * into the sink, never held in memory. The sink is committed only once the
 * trailer is written.
 */
export async function writeBackup(
  client: Client,
  sink: BackupSink,
  options: BackupWriteOptions,
): Promise<WrittenBackup> {
  await applyCopySession(client);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const written = await writeInSnapshot(client, sink, options);
    await client.query('COMMIT');
    await sink.commit();
    return written;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    await sink.abort();
    throw error;
  }
}

async function writeInSnapshot(client: Client, sink: BackupSink, options: BackupWriteOptions): Promise<WrittenBackup> {
  const { rows } = await client.query<{ snapshot: string; at: Date; version: string }>(
    'SELECT pg_current_snapshot()::text AS snapshot, now() AS at, current_setting($1) AS version',
    ['server_version'],
  );
  const [{ snapshot, at, version }] = rows;
  const migrations = await appliedMigrations(client);
  const catalog = await readCatalog(client);
  const out = new MeasuredSink(sink);
  const header = newHeader(options.id, options.compression, options.key);
  const headerBytes = encodeHeader(header);
  const key = options.key && fileKey(options.key, header, headerBytes);
  await out.write(headerBytes);
  const tables: ManifestTable[] = [];
  for (const [index, table] of catalog.entries()) {
    const since =
      options.parent && table.kind === 'append-only' ? sinceSnapshotFilter(options.parent.snapshot, snapshot) : '';
    const offset = out.offset;
    const source = client.query(
      copyTo(`COPY (SELECT ${columnList(table.columns)} FROM ${quoteIdentifier(table.name)}${since}) TO STDOUT`),
    );
    const summary = await writeSegment(source, out, { index, label: `table:${table.name}`, key }, options);
    tables.push({
      ...table,
      segment: index,
      offset,
      length: out.offset - offset,
      rows: summary.rows,
      bytes: summary.bytes,
      sha256: summary.sha256,
      contents: since ? 'since-parent' : 'all',
    });
    options.onProgress?.({
      table: table.name,
      tablesDone: index + 1,
      tablesTotal: catalog.length,
      bytesWritten: out.offset,
    });
  }
  const manifest: BackupManifest = {
    backupId: options.id,
    type: options.type,
    parentId: options.parent?.id ?? null,
    snapshotAt: at.toISOString(),
    snapshot,
    completedAt: new Date().toISOString(),
    serverVersion: version,
    migrations,
    session: { ...COPY_SESSION },
    tables,
    sequences: await readSequences(
      client,
      catalog.map((table: CatalogTable) => table.name),
    ),
  };
  const manifestOffset = out.offset;
  const manifestSource = Readable.from([Buffer.from(JSON.stringify(manifest), 'utf8')]);
  await writeSegment(manifestSource, out, { index: MANIFEST_SEGMENT, label: MANIFEST_LABEL, key }, options);
  await out.write(encodeTrailer(manifestOffset));
  return { manifest, size: out.offset, sha256: out.digest() };
}

async function writeSegment(
  source: Readable,
  out: MeasuredSink,
  cipher: SegmentCipher,
  options: BackupWriteOptions,
): Promise<CopyDataSummary> {
  const tap = new CopyDataTap();
  const encoder = new SegmentEncoder(cipher);
  const drain = async (encoded: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of encoded) await out.write(chunk);
  };
  if (options.compression) {
    await pipeline(source, tap, createGzip({ level: options.compressionLevel }), encoder, drain);
  } else {
    await pipeline(source, tap, encoder, drain);
  }
  return tap.result;
}
