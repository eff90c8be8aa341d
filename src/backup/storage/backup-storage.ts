import type { Readable } from 'node:stream';

/** A byte range of a stored backup, both ends inclusive (as HTTP ranges are). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A backup being written. Nothing is visible under the final name until
 * commit(), which happens only once the whole file is written; abort() (or a
 * crash) leaves no file behind that could pass for a backup.
 */
export interface BackupSink {
  /** Where the backup will be found once committed. */
  readonly location: string;
  write(chunk: Buffer): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Where backup files live: a directory (BACKUP_DIR) or an S3-compatible bucket. */
export interface BackupStorage {
  readonly kind: 'disk' | 's3';
  /** Where a backup file of this name is (or will be) stored. */
  locationOf(name: string): string;
  create(name: string): Promise<BackupSink>;
  read(location: string, range?: ByteRange): Promise<Readable>;
  size(location: string): Promise<number>;
  exists(location: string): Promise<boolean>;
  remove(location: string): Promise<void>;
  /** Removes what an interrupted write of `name` left (a temporary file, an unfinished upload). */
  removePartial(name: string): Promise<void>;
}

export const BACKUP_STORAGE = Symbol('BACKUP_STORAGE');

/** The file name of a backup in its storage. */
export function backupFileName(id: string): string {
  return `${id}.backup`;
}
