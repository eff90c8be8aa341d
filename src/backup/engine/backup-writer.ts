import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
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
  type BlockRange,
  COPY_SESSION,
  type ManifestTable,
  segmentLabel,
} from './backup-manifest';
import { type CopyDataSummary, CopyDataTap } from './copy-data-tap';
import { sinceSnapshotCondition } from './snapshot-filter';
import {
  type CatalogTable,
  columnList,
  quoteIdentifier,
  readCatalog,
  readSequences,
  type RelationSize,
  relationSizes,
} from './table-catalog';

/** A table or partition larger than this is read as several block ranges, so the streams share it. */
const PIECE_BYTES = 64 * 1024 ** 2;

export interface BackupWriteOptions {
  id: string;
  type: BackupType;
  /** The parent of an incremental backup: its id and the snapshot it was taken in. */
  parent?: { id: string; snapshot: string };
  compression: boolean;
  compressionLevel: number;
  key?: BackupKey;
  /** More than one stream: tables read at once on further connections sharing the snapshot. */
  parallel?: ParallelOptions;
  onProgress?: (progress: BackupWriteProgress) => void;
}

export interface ParallelOptions {
  streams: number;
  /** A new connection to the same database. */
  connect: () => Promise<Client>;
  /** Where tables wait, encoded, for their turn in the file (the system's temporary directory by default). */
  spoolDir?: string;
  /** A table or partition larger than this is read in block ranges of about this size, one stream each (64 MiB). */
  pieceBytes?: number;
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
  const since = options.parent ? sinceSnapshotCondition(options.parent.snapshot, snapshot) : '';
  const parallel = options.parallel && options.parallel.streams > 1 ? options.parallel : undefined;
  // Segments reach onSegment in job order (the parallel writer appends them in it too), so a table's
  // segments arrive together and in the file's order, and its last job closes it.
  const tables = new Map<string, ManifestTable>();
  const onSegment = (job: SegmentJob, offset: number, summary: CopyDataSummary): void => {
    const table = tables.get(job.table.name) ?? {
      ...job.table,
      rows: 0,
      bytes: 0,
      contents: job.since ? 'since-parent' : 'all',
      segments: [],
    };
    tables.set(job.table.name, table);
    table.rows += summary.rows;
    table.bytes += summary.bytes;
    const { rows, bytes, sha256 } = summary;
    table.segments.push({
      segment: job.cipher.index,
      offset,
      length: out.offset - offset,
      rows,
      bytes,
      sha256,
      partition: job.partition,
      blocks: job.blocks,
    });
    options.onProgress?.({
      table: job.table.name,
      tablesDone: job.closesTable ? tables.size : tables.size - 1,
      tablesTotal: catalog.length,
      bytesWritten: out.offset,
    });
  };
  if (parallel) {
    // Measured once every stream is in the snapshot: measuring locks each relation, as its COPY will.
    const planJobs = async (): Promise<SegmentJob[]> => {
      const relations = catalog.flatMap((table) => relationsOf(table).map((read) => read.relation));
      const sizes = await relationSizes(client, relations);
      return segmentJobs(catalog, key, { since, split: { sizes, pieceBytes: parallel.pieceBytes ?? PIECE_BYTES } });
    };
    await writeParallel(client, out, planJobs, { ...options, parallel }, onSegment);
  } else {
    await writeSerial(client, out, segmentJobs(catalog, key, { since }), options, onSegment);
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
    tables: [...tables.values()],
    sequences: await readSequences(
      client,
      catalog.map((table: CatalogTable) => table.name),
    ),
  };
  const manifestOffset = out.offset;
  const manifestSource = Readable.from([Buffer.from(JSON.stringify(manifest), 'utf8')]);
  await encodeSegment(manifestSource, (chunk) => out.write(chunk), {
    cipher: { index: MANIFEST_SEGMENT, label: MANIFEST_LABEL, key },
    options,
  });
  await out.write(encodeTrailer(manifestOffset));
  return { manifest, size: out.offset, sha256: out.digest() };
}

/** One stream: what to COPY out, and the segment it becomes. */
interface SegmentJob {
  table: CatalogTable;
  /** The partition it reads, for a partitioned table. */
  partition?: string;
  /** The relation it reads: the table or the partition. */
  relation: string;
  /** The part of the relation it reads, when the relation is read in pieces. */
  blocks?: BlockRange;
  /** Its share of the relation's bytes on disk, when they were measured: the largest streams start first. */
  bytes: number;
  /** The table's last stream. */
  closesTable: boolean;
  /** The incremental condition, empty for all rows. */
  since: string;
  copy: string;
  cipher: SegmentCipher;
}

interface JobPlan {
  /** The incremental condition, for append-only tables; empty in a full backup. */
  since: string;
  /** Each relation's size and the piece to read it in, for a parallel backup; a serial one reads each whole. */
  split?: { sizes: Map<string, RelationSize>; pieceBytes: number };
}

/** The relations a table's rows are read from: each of its partitions, or the table itself. */
function relationsOf(table: CatalogTable): { partition?: string; relation: string }[] {
  return table.partitions.length > 0
    ? table.partitions.map((partition) => ({ partition: partition.name, relation: partition.name }))
    : [{ relation: table.name }];
}

/**
 * A stream per table, and per partition of a partitioned one: a restore copies
 * each straight into its leaf (as pg_restore does) rather than routing every
 * row through the parent. A relation larger than a piece, read whole, is read
 * as block ranges (a TID range scan each), so one large table does not leave
 * the other streams idle, as it would in pg_dump -j.
 */
function segmentJobs(catalog: readonly CatalogTable[], key: Buffer | undefined, plan: JobPlan): SegmentJob[] {
  const jobs: SegmentJob[] = [];
  for (const table of catalog) {
    const since = table.kind === 'append-only' ? plan.since : '';
    const reads = relationsOf(table).flatMap(({ partition, relation }) => {
      const size = plan.split?.sizes.get(relation);
      // A filtered stream (an incremental's append-only rows) yields few rows, so its scan is the cost: split, it
      // measured slower on two cores (0.98-1.38 s against 0.73-0.84 s whole), so it stays whole.
      const ranges = size && plan.split && !since ? blockRanges(size, plan.split.pieceBytes) : [undefined];
      return ranges.map((blocks) => ({ partition, relation, blocks, bytes: (size?.bytes ?? 0) / ranges.length }));
    });
    for (const [index, read] of reads.entries()) {
      const conditions = [since, read.blocks ? blockCondition(read.blocks) : ''].filter((condition) => condition);
      const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
      jobs.push({
        ...read,
        table,
        closesTable: index === reads.length - 1,
        since,
        copy: `COPY (SELECT ${columnList(table.columns)} FROM ${quoteIdentifier(read.relation)}${where}) TO STDOUT`,
        cipher: { index: jobs.length, label: segmentLabel(table.name, read), key },
      });
    }
  }
  return jobs;
}

/**
 * A relation in about `pieceBytes` pieces of consecutive blocks, or whole. The
 * last piece is open-ended: a row in the snapshot lies in a block that existed
 * when it was written, but the relation may have grown since it was measured.
 */
function blockRanges(size: RelationSize, pieceBytes: number): (BlockRange | undefined)[] {
  const pieces = Math.min(Math.ceil(size.bytes / pieceBytes), size.blocks);
  if (pieces <= 1) return [undefined];
  const step = Math.ceil(size.blocks / pieces);
  return Array.from({ length: pieces }, (_, piece) =>
    piece === pieces - 1 ? { from: piece * step } : { from: piece * step, to: (piece + 1) * step },
  );
}

function blockCondition({ from, to }: BlockRange): string {
  const lower = `ctid >= '(${from},0)'::tid`;
  return to === undefined ? lower : `${lower} AND ctid < '(${to},0)'::tid`;
}

type SegmentDone = (job: SegmentJob, offset: number, summary: CopyDataSummary) => void;

/** Every table in turn on the snapshot's own connection, straight into the file. */
async function writeSerial(
  client: Client,
  out: MeasuredSink,
  jobs: SegmentJob[],
  options: BackupWriteOptions,
  onSegment: SegmentDone,
): Promise<void> {
  for (const job of jobs) {
    const offset = out.offset;
    const summary = await encodeSegment(client.query(copyTo(job.copy)), (chunk) => out.write(chunk), {
      cipher: job.cipher,
      options,
    });
    onSegment(job, offset, summary);
  }
}

/**
 * Tables read by `streams` connections at once, all in the snapshot this
 * transaction exports (pg_export_snapshot), so the backup still shows one
 * moment. The largest tables start first; each is encoded into a spool file
 * of its own and appended to the backup in the manifest's order as soon as
 * every table before it is in, so the file has the same layout as a serial
 * backup. The spool directory goes whatever happens.
 */
async function writeParallel(
  client: Client,
  out: MeasuredSink,
  planJobs: () => Promise<SegmentJob[]>,
  options: BackupWriteOptions & { parallel: ParallelOptions },
  onSegment: SegmentDone,
): Promise<void> {
  const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
  const spool = await mkdtemp(join(options.parallel.spoolDir ?? tmpdir(), spoolPrefix(options.id)));
  const helpers: Client[] = [];
  let workers: Promise<void>[] = [];
  const queue: SegmentJob[] = [];
  try {
    for (let n = 1; n < options.parallel.streams; n++) {
      helpers.push(await joinSnapshot(await options.parallel.connect(), rows[0].id));
    }
    const jobs = await planJobs();
    const results = jobs.map(() => deferred<CopyDataSummary>());
    // Smallest first in the array, so pop() hands out the largest stream next, and of a relation's equal pieces
    // the first, which the file needs first.
    queue.push(...[...jobs].sort((a, b) => a.bytes - b.bytes || b.cipher.index - a.cipher.index));
    const spoolOf = (job: SegmentJob) => join(spool, String(job.cipher.index));
    const work = async (worker: Client): Promise<void> => {
      for (let job = queue.pop(); job; job = queue.pop()) {
        const file = createWriteStream(spoolOf(job), { mode: 0o600 });
        const summary = await encodeSegment(worker.query(copyTo(job.copy)), undefined, {
          cipher: job.cipher,
          options,
          sink: file,
        });
        results[job.cipher.index].resolve(summary);
      }
    };
    workers = [client, ...helpers].map((worker) =>
      work(worker).catch((error: unknown) => {
        queue.length = 0;
        for (const result of results) result.reject(error);
      }),
    );
    for (const job of jobs) {
      const summary = await results[job.cipher.index].promise;
      const offset = out.offset;
      for await (const chunk of createReadStream(spoolOf(job))) await out.write(chunk as Buffer);
      await rm(spoolOf(job));
      onSegment(job, offset, summary);
    }
    await Promise.all(workers);
  } finally {
    // Nothing more is handed out (the appender may have stopped on a cancel); ending a helper breaks
    // its COPY, and the snapshot's own connection stops after its current table.
    queue.length = 0;
    for (const helper of helpers) await helper.end().catch(() => undefined);
    await Promise.allSettled(workers);
    await rm(spool, { recursive: true, force: true });
  }
}

function spoolPrefix(backupId: string): string {
  return `sentinel-backup-${backupId}-`;
}

/** Removes the spool directories a backup killed mid-way left behind. */
export async function removeSpools(backupId: string, spoolDir = tmpdir()): Promise<void> {
  const prefix = spoolPrefix(backupId);
  for (const name of await readdir(spoolDir).catch(() => [])) {
    if (name.startsWith(prefix)) await rm(join(spoolDir, name), { recursive: true, force: true });
  }
}

/** A connection reading in the exported snapshot `id`, under the same COPY settings. */
async function joinSnapshot(client: Client, id: string): Promise<Client> {
  try {
    await applyCopySession(client);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // A snapshot id is hex digits and dashes; SET takes no bind parameter.
    if (!/^[0-9A-F-]+$/i.test(id)) throw new Error(`unexpected snapshot id ${id}`);
    await client.query(`SET TRANSACTION SNAPSHOT '${id}'`);
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((done, fail) => {
    resolve = done;
    reject = fail;
  });
  // Awaited in order by the appender; one rejected after another's failure must not be unhandled.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** COPY text through the row counter, gzip and the chunk sealer, to `write` or into `sink`. */
async function encodeSegment(
  source: Readable,
  write: ((chunk: Buffer) => Promise<void>) | undefined,
  { cipher, options, sink }: { cipher: SegmentCipher; options: BackupWriteOptions; sink?: Writable },
): Promise<CopyDataSummary> {
  const tap = new CopyDataTap();
  const encoder = new SegmentEncoder(cipher);
  // Node's pipeline reports an error thrown by its final async function as an AbortError:
  // keep the sink's own error (ENOSPC, a refused upload) so the backup's record says what happened.
  let sinkError: unknown;
  const end =
    sink ??
    (async (encoded: AsyncIterable<Buffer>): Promise<void> => {
      try {
        for await (const chunk of encoded) await write?.(chunk);
      } catch (error) {
        sinkError = error;
        throw error;
      }
    });
  try {
    if (options.compression) {
      await pipeline(source, tap, createGzip({ level: options.compressionLevel }), encoder, end);
    } else {
      await pipeline(source, tap, encoder, end);
    }
  } catch (error) {
    throw sinkError ?? error;
  }
  return tap.result;
}
