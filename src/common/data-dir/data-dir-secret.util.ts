import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
