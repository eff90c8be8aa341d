import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MIN_LENGTH = 32;

/**
 * A secret generated once and kept in DATA_DIR (mode 0600), for the
 * single-process embedded default where no operator has configured one.
 * Returns `created: true` the first time so the caller can say so.
 */
export async function readOrCreateDataDirSecret(
  dataDir: string,
  name: string,
): Promise<{ value: string; created: boolean }> {
  const file = join(dataDir, name);
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing.length >= MIN_LENGTH) return { value: existing, created: false };
  await mkdir(dataDir, { recursive: true });
  const value = randomBytes(48).toString('base64url');
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}

/**
 * A random key of `bytes` bytes kept in DATA_DIR (base64, mode 0600) for keys
 * whose loss orphans what they protect (backups): created once with 'wx', so
 * two processes never both write one, and fsynced before use. An existing
 * file that cannot be read or is not such a key stops the caller rather than
 * being replaced.
 */
export async function readOrCreateDataDirKey(
  dataDir: string,
  name: string,
  bytes: number,
): Promise<{ key: Buffer; created: boolean }> {
  const file = join(dataDir, name);
  const existing = await readKeyFile(file, bytes);
  if (existing) return { key: existing, created: false };
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(bytes);
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${key.toString('base64')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readKeyFile(file, bytes);
    if (!theirs) throw new Error(`${file} appeared but holds no key`);
    return { key: theirs, created: false };
  }
  return { key, created: true };
}

async function readKeyFile(file: string, bytes: number): Promise<Buffer | undefined> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file} exists but cannot be read (${(error as Error).message}); refusing to replace it`);
  }
  const key = Buffer.from(content.trim(), 'base64');
  if (key.length !== bytes || key.toString('base64') !== content.trim()) {
    throw new Error(`${file} does not hold a ${bytes}-byte base64 key; refusing to replace it`);
  }
  return key;
}
