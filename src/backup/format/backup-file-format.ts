import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * The backup file, as the README documents it for operators:
 *
 *   "SNTLBKP1"  u32be n  header JSON (n bytes)
 *   segment*    one per table stream, then the manifest
 *   u64be offset of the manifest segment  "SNTLEND1"
 *
 *   segment = u16be n  label (n bytes UTF-8)  chunk*   ending with the chunk flagged last
 *   chunk   = u8 flags (1 = last)  u32be n  payload (n bytes)  [16-byte GCM tag when encrypted]
 *
 * A segment's payloads, joined, are its data gzip-compressed (when the header
 * says so). Encrypted, each chunk is AES-256-GCM on its own under a file key
 * derived from the backup key, with the segment's label as associated data and
 * a nonce naming the segment (tables 0, 1, ...; the manifest 0xffffffff), the
 * chunk and the last flag (u32be segment, u32be chunk, u8 flags, 3 zero bytes): a chunk is released
 * only once its tag checks, and a reordered, swapped or truncated file fails.
 */
export const FILE_MAGIC = Buffer.from('SNTLBKP1', 'ascii');
export const TRAILER_MAGIC = Buffer.from('SNTLEND1', 'ascii');
export const TRAILER_LENGTH = 16;
export const FORMAT_VERSION = 1;
export const CHUNK_SIZE = 64 * 1024;
const TAG_LENGTH = 16;
const LAST_CHUNK = 1;
const CHUNK_HEADER_LENGTH = 5;
/** The manifest's segment index in nonces: it comes after every table, however many there are. */
export const MANIFEST_SEGMENT = 0xffffffff;
export const MANIFEST_LABEL = 'manifest';

export interface BackupFileHeader {
  format: 'sentinel-backup';
  version: number;
  backupId: string;
  createdAt: string;
  compression: 'gzip' | 'none';
  /** Absent when the backup is not encrypted. */
  encryption?: { algorithm: 'aes-256-gcm'; kdf: 'hkdf-sha256'; keyId: string; salt: string };
}

/** A backup key and the id recorded with every backup it encrypts (a fingerprint, never the key). */
export interface BackupKey {
  id: string;
  material: Buffer;
}

export function backupKeyId(material: Buffer): string {
  return createHash('sha256').update('sentinel-backup-key\n').update(material).digest('hex').slice(0, 16);
}

export function newHeader(backupId: string, compressed: boolean, key: BackupKey | undefined): BackupFileHeader {
  return {
    format: 'sentinel-backup',
    version: FORMAT_VERSION,
    backupId,
    createdAt: new Date().toISOString(),
    compression: compressed ? 'gzip' : 'none',
    encryption: key && {
      algorithm: 'aes-256-gcm',
      kdf: 'hkdf-sha256',
      keyId: key.id,
      salt: randomBytes(32).toString('base64'),
    },
  };
}

/** The bytes that open the file: magic, length, header JSON. */
export function encodeHeader(header: BackupFileHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([FILE_MAGIC, length, json]);
}

/** Reads the header from the file's first bytes; `bytes` must hold at least all of it. */
export function decodeHeader(bytes: Buffer): { header: BackupFileHeader; length: number } {
  if (bytes.length < 12 || !bytes.subarray(0, 8).equals(FILE_MAGIC)) throw new Error('not a Sentinel backup file');
  const length = bytes.readUInt32BE(8);
  if (bytes.length < 12 + length) throw new Error('the backup header is truncated');
  const header = JSON.parse(bytes.subarray(12, 12 + length).toString('utf8')) as Record<string, unknown>;
  if (header.format !== 'sentinel-backup' || header.version !== FORMAT_VERSION) {
    throw new Error(`unsupported backup format ${String(header.format)} version ${String(header.version)}`);
  }
  return { header: header as unknown as BackupFileHeader, length: 12 + length };
}

/** The key chunks are sealed with: HKDF of the backup key, salted per file and bound to the exact header bytes. */
export function fileKey(key: BackupKey, header: BackupFileHeader, headerBytes: Buffer): Buffer {
  if (!header.encryption) throw new Error('the backup is not encrypted');
  if (header.encryption.keyId !== key.id) {
    throw new Error(`the backup was encrypted with key id ${header.encryption.keyId}, not this key (${key.id})`);
  }
  const info = createHash('sha256').update(headerBytes).digest();
  return Buffer.from(hkdfSync('sha256', key.material, Buffer.from(header.encryption.salt, 'base64'), info, 32));
}

export function encodeTrailer(manifestOffset: number): Buffer {
  const trailer = Buffer.alloc(TRAILER_LENGTH);
  trailer.writeBigUInt64BE(BigInt(manifestOffset));
  TRAILER_MAGIC.copy(trailer, 8);
  return trailer;
}

export function decodeTrailer(bytes: Buffer): number {
  if (bytes.length !== TRAILER_LENGTH || !bytes.subarray(8).equals(TRAILER_MAGIC)) {
    throw new Error('the backup file is incomplete (no trailer)');
  }
  return Number(bytes.readBigUInt64BE(0));
}

export function encodeLabel(label: string): Buffer {
  const bytes = Buffer.from(label, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function nonce(segment: number, chunk: number, flags: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(segment, 0);
  iv.writeUInt32BE(chunk, 4);
  iv.writeUInt8(flags, 8);
  return iv;
}

/** Where a segment sits in the file and what seals it. */
export interface SegmentCipher {
  index: number;
  label: string;
  /** The file key; undefined when the backup is not encrypted. */
  key?: Buffer;
}

/** Cuts a segment's bytes into chunks, sealing each (label, length prefix excluded) when encrypted. */
export class SegmentEncoder extends Transform {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private chunkIndex = 0;

  constructor(private readonly cipher: SegmentCipher) {
    super();
    this.push(encodeLabel(cipher.label));
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending.push(data);
    this.pendingLength += data.length;
    while (this.pendingLength >= CHUNK_SIZE) {
      const joined = Buffer.concat(this.pending);
      this.pushChunk(joined.subarray(0, CHUNK_SIZE), 0);
      this.pending = [joined.subarray(CHUNK_SIZE)];
      this.pendingLength = joined.length - CHUNK_SIZE;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.pushChunk(Buffer.concat(this.pending), LAST_CHUNK);
    done();
  }

  private pushChunk(plain: Buffer, flags: number): void {
    const head = Buffer.alloc(CHUNK_HEADER_LENGTH);
    head.writeUInt8(flags, 0);
    head.writeUInt32BE(plain.length, 1);
    const { key, index, label } = this.cipher;
    if (!key) {
      this.push(Buffer.concat([head, plain]));
    } else {
      const gcm = createCipheriv('aes-256-gcm', key, nonce(index, this.chunkIndex, flags));
      gcm.setAAD(Buffer.from(label, 'utf8'));
      this.push(Buffer.concat([head, gcm.update(plain), gcm.final(), gcm.getAuthTag()]));
    }
    this.chunkIndex++;
  }
}

/**
 * Reads one segment (label first) and releases each chunk's payload only once
 * it is authenticated. Fails on a bad tag, a wrong label, bytes after the last
 * chunk, or a segment that ends before it.
 */
export class SegmentDecoder extends Transform {
  private buffered: Buffer = Buffer.alloc(0);
  private labelRead = false;
  private finished = false;
  private chunkIndex = 0;

  constructor(private readonly cipher: SegmentCipher) {
    super();
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
    try {
      this.drain();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.finished ? null : new Error(`segment ${this.cipher.label} is truncated`));
  }

  private drain(): void {
    if (!this.labelRead && !this.readLabel()) return;
    const tag = this.cipher.key ? TAG_LENGTH : 0;
    while (this.buffered.length >= CHUNK_HEADER_LENGTH) {
      if (this.finished) throw new Error(`segment ${this.cipher.label} has data after its last chunk`);
      const flags = this.buffered.readUInt8(0);
      const length = this.buffered.readUInt32BE(1);
      if (length > CHUNK_SIZE || (flags & ~LAST_CHUNK) !== 0) throw new Error('malformed backup chunk');
      const total = CHUNK_HEADER_LENGTH + length + tag;
      if (this.buffered.length < total) return;
      const body = this.buffered.subarray(CHUNK_HEADER_LENGTH, CHUNK_HEADER_LENGTH + length);
      this.push(this.open(body, this.buffered.subarray(CHUNK_HEADER_LENGTH + length, total), flags));
      this.buffered = this.buffered.subarray(total);
      this.finished = (flags & LAST_CHUNK) !== 0;
      this.chunkIndex++;
    }
  }

  private readLabel(): boolean {
    if (this.buffered.length < 2) return false;
    const length = this.buffered.readUInt16BE(0);
    if (this.buffered.length < 2 + length) return false;
    const label = this.buffered.subarray(2, 2 + length).toString('utf8');
    if (label !== this.cipher.label) throw new Error(`expected segment ${this.cipher.label}, found ${label}`);
    this.buffered = this.buffered.subarray(2 + length);
    this.labelRead = true;
    return true;
  }

  private open(body: Buffer, tag: Buffer, flags: number): Buffer {
    const { key, index, label } = this.cipher;
    if (!key) return Buffer.from(body);
    const gcm = createDecipheriv('aes-256-gcm', key, nonce(index, this.chunkIndex, flags));
    gcm.setAAD(Buffer.from(label, 'utf8'));
    gcm.setAuthTag(tag);
    try {
      return Buffer.concat([gcm.update(body), gcm.final()]);
    } catch {
      throw new Error(`segment ${label} failed authentication: the file is damaged or was altered`);
    }
  }
}
