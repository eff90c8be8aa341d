import { type Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import {
  type BackupFileHeader,
  type BackupKey,
  decodeHeader,
  decodeTrailer,
  fileKey,
  MANIFEST_LABEL,
  MANIFEST_SEGMENT,
  type SegmentCipher,
  SegmentDecoder,
  TRAILER_LENGTH,
} from '../format/backup-file-format';
import type { BackupStorage, ByteRange } from '../storage/backup-storage';
import {
  type BackupManifest,
  type ManifestSegment,
  type ManifestTable,
  describeSegment,
  segmentLabel,
  withSegments,
} from './backup-manifest';
import { CopyDataTap } from './copy-data-tap';

const HEADER_READ = 64 * 1024;
/** Output of the inflater per callback: fewer, larger writes into COPY than zlib's 16 KiB default. */
const INFLATE_CHUNK = 256 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Collects what a segment decodes to; only for the manifest, which is small. */
class Collector extends Writable {
  readonly chunks: Buffer[] = [];

  override _write(data: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(data);
    done();
  }
}

/**
 * Reads a backup file back: header, trailer and manifest first (ranged
 * reads), then any table's stream, authenticated chunk by chunk, decompressed,
 * and checked against the manifest's row count and SHA-256 as it ends.
 */
export class BackupReader {
  private constructor(
    private readonly storage: BackupStorage,
    readonly location: string,
    readonly header: BackupFileHeader,
    readonly manifest: BackupManifest,
    private readonly key: Buffer | undefined,
  ) {}

  static async open(storage: BackupStorage, location: string, key: BackupKey | undefined): Promise<BackupReader> {
    const size = await storage.size(location);
    if (size < TRAILER_LENGTH) throw new Error('the backup file is incomplete');
    const start = await readAll(await storage.read(location, { start: 0, end: Math.min(size, HEADER_READ) - 1 }));
    const { header, length } = decodeHeader(start);
    if (header.encryption && !key) throw new Error('the backup is encrypted and no backup key is configured');
    const sealing = header.encryption && key ? fileKey(key, header, start.subarray(0, length)) : undefined;
    const trailer = await readAll(await storage.read(location, { start: size - TRAILER_LENGTH, end: size - 1 }));
    const manifestOffset = decodeTrailer(trailer);
    if (manifestOffset < length || manifestOffset >= size - TRAILER_LENGTH) {
      throw new Error('the backup trailer is damaged');
    }
    const reader = new BackupReader(storage, location, header, {} as BackupManifest, sealing);
    const collector = new Collector();
    await reader.decode(
      { start: manifestOffset, end: size - TRAILER_LENGTH - 1 },
      { index: MANIFEST_SEGMENT, label: MANIFEST_LABEL, key: sealing },
      [collector],
    );
    const manifest = withSegments(JSON.parse(Buffer.concat(collector.chunks).toString('utf8')) as BackupManifest);
    if (manifest.backupId !== header.backupId) throw new Error('the manifest belongs to another backup');
    return new BackupReader(storage, location, header, manifest, sealing);
  }

  /** Streams one segment's COPY data, checked against the manifest, through `stages` (the last one a sink). */
  async pipeSegment(
    table: ManifestTable,
    segment: ManifestSegment,
    stages: (Transform | Writable)[],
    onData?: (bytes: number, rows: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const tap = new CopyDataTap(
      {
        rows: segment.rows,
        sha256: segment.sha256,
        what: `${describeSegment(table.name, segment)} of backup ${this.manifest.backupId}`,
      },
      onData,
    );
    await this.decode(
      { start: segment.offset, end: segment.offset + segment.length - 1 },
      { index: segment.segment, label: segmentLabel(table.name, segment), key: this.key },
      [tap, ...stages],
      signal,
    );
  }

  private async decode(
    range: ByteRange,
    cipher: SegmentCipher,
    stages: (Transform | Writable)[],
    signal?: AbortSignal,
  ): Promise<void> {
    const raw = await this.storage.read(this.location, range);
    const plain = this.header.compression === 'gzip' ? [createGunzip({ chunkSize: INFLATE_CHUNK })] : [];
    await pipeline([raw, new SegmentDecoder(cipher), ...plain, ...stages], signal ? { signal } : {});
  }
}
