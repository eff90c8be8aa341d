import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const MIN_SECRET_LENGTH = 32;

/**
 * A secret file in DATA_DIR that exists but cannot be used: the start stops
 * with this one line rather than replacing it, which would invalidate what it
 * protects (every session, API key, audit chain or backup).
 */
export class DataDirSecretError extends Error {}

/**
 * A secret generated once and kept in DATA_DIR (mode 0600), for the
 * single-process embedded default where no operator has configured one.
 * Returns `created: true` the first time so the caller can say so.
 */
export async function readOrCreateDataDirSecret(
  dataDir: string,
  name: string,
): Promise<{ value: string; created: boolean }> {
  const { content, created } = await readOrCreate(join(dataDir, name), () => randomBytes(48).toString('base64url'));
  const value = content.trim();
  if (value.length < MIN_SECRET_LENGTH) {
    throw new DataDirSecretError(
      `${join(dataDir, name)} holds no secret of at least ${MIN_SECRET_LENGTH} characters; refusing to replace it ` +
        '(restore it, or remove it to generate a new one and lose what it protects)',
    );
  }
  return { value, created };
}

/**
 * A random key of `bytes` bytes kept in DATA_DIR (base64, mode 0600) for keys
 * whose loss orphans what they protect (backups).
 */
export async function readOrCreateDataDirKey(
  dataDir: string,
  name: string,
  bytes: number,
): Promise<{ key: Buffer; created: boolean }> {
  const file = join(dataDir, name);
  const { content, created } = await readOrCreate(file, () => randomBytes(bytes).toString('base64'));
  const key = Buffer.from(content.trim(), 'base64');
  if (key.length !== bytes || key.toString('base64') !== content.trim()) {
    throw new DataDirSecretError(`${file} does not hold a ${bytes}-byte base64 key; refusing to replace it`);
  }
  return { key, created };
}

/**
 * Reads `file`, or creates it once: the value is written to a temporary file
 * opened with 'wx', fsynced, then hard-linked into place, which fails if the
 * file exists. So two processes starting at once never overwrite each other's
 * and never read a half-written file: the loser reads the winner's. An
 * existing file that cannot be read stops the caller.
 */
async function readOrCreate(file: string, generate: () => string): Promise<{ content: string; created: boolean }> {
  const existing = await readExisting(file);
  if (existing !== undefined) return { content: existing, created: false };
  await mkdir(dirname(file), { recursive: true });
  const content = `${generate()}\n`;
  const scratch = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(scratch, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(scratch, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readExisting(file);
    if (theirs === undefined) throw new DataDirSecretError(`${file} appeared and vanished while being created`);
    return { content: theirs, created: false };
  } finally {
    await unlink(scratch);
  }
  await syncDirectory(dirname(file));
  return { content, created: true };
}

async function readExisting(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DataDirSecretError(
      `${file} exists but cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); refusing to replace it`,
    );
  }
}

/** Makes the new directory entry durable, so a crash cannot lose a secret already in use. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
