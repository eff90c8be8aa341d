import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { BackupSink, BackupStorage, ByteRange } from './backup-storage';

const PARTIAL = '.partial';
/** Reads in 1 MiB, not 64 KiB: a restore streams whole tables. */
const READ_CHUNK = 1024 * 1024;

/** Backups as files in BACKUP_DIR: written as `<name>.partial`, fsynced, then renamed into place. */
export class DiskBackupStorage implements BackupStorage {
  readonly kind = 'disk';

  constructor(private readonly dir: string) {}

  locationOf(name: string): string {
    return join(this.dir, name);
  }

  async create(name: string): Promise<BackupSink> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const location = this.locationOf(name);
    const partial = `${location}${PARTIAL}`;
    // 'wx': never write over another backup, even one whose record was lost.
    return new DiskSink(location, partial, await open(partial, 'wx', 0o600));
  }

  async read(location: string, range?: ByteRange): Promise<Readable> {
    this.assertInside(location);
    await stat(location);
    return createReadStream(location, {
      ...(range && { start: range.start, end: range.end }),
      highWaterMark: READ_CHUNK,
    });
  }

  async size(location: string): Promise<number> {
    this.assertInside(location);
    return (await stat(location)).size;
  }

  async exists(location: string): Promise<boolean> {
    return this.size(location).then(
      () => true,
      () => false,
    );
  }

  async remove(location: string): Promise<void> {
    this.assertInside(location);
    await rm(location, { force: true });
  }

  async removePartial(name: string): Promise<void> {
    await rm(`${this.locationOf(name)}${PARTIAL}`, { force: true });
  }

  /** Locations come from the metadata table; a row edited to point elsewhere must not make us read or delete there. */
  private assertInside(location: string): void {
    if (dirname(resolve(location)) !== resolve(this.dir)) {
      throw new Error(`backup location ${location} is outside BACKUP_DIR`);
    }
  }
}

class DiskSink implements BackupSink {
  constructor(
    readonly location: string,
    private readonly partial: string,
    private readonly file: FileHandle,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    await this.file.write(chunk);
  }

  async commit(): Promise<void> {
    await this.file.sync();
    await this.file.close();
    await rename(this.partial, this.location);
    await syncDirectory(dirname(this.location));
  }

  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await rm(this.partial, { force: true });
  }
}

/** Makes a rename durable: without it a power loss may bring back the old directory entry. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
