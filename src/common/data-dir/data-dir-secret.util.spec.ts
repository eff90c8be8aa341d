import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirSecretError, readOrCreateDataDirKey, readOrCreateDataDirSecret } from './data-dir-secret.util';

describe('DATA_DIR secret files', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sentinel-secret-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('creates a secret once, mode 0600, and reads the same one afterwards', async () => {
    const first = await readOrCreateDataDirSecret(dataDir, 'jwt-secret');
    const again = await readOrCreateDataDirSecret(dataDir, 'jwt-secret');
    expect(first.created).toBe(true);
    expect(again).toEqual({ value: first.value, created: false });
    expect((await stat(join(dataDir, 'jwt-secret'))).mode & 0o777).toBe(0o600);
  });

  it('gives every one of many simultaneous first starts the same secret, and creates it once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => readOrCreateDataDirSecret(dataDir, 'api-key-pepper')),
    );
    expect(new Set(results.map((result) => result.value)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(await readFile(join(dataDir, 'api-key-pepper'), 'utf8')).toBe(`${results[0].value}\n`);
    // No temporary file is left behind.
    expect(await readdir(dataDir)).toEqual(['api-key-pepper']);
  });

  it('does the same for binary keys', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => readOrCreateDataDirKey(dataDir, 'key', 32)));
    expect(new Set(results.map((result) => result.key.toString('hex'))).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
  });

  it('refuses a short secret rather than replacing it', async () => {
    await writeFile(join(dataDir, 'jwt-secret'), 'too-short\n');
    await expect(readOrCreateDataDirSecret(dataDir, 'jwt-secret')).rejects.toThrow(DataDirSecretError);
    await expect(readOrCreateDataDirSecret(dataDir, 'jwt-secret')).rejects.toThrow(/refusing to replace it/);
    expect(await readFile(join(dataDir, 'jwt-secret'), 'utf8')).toBe('too-short\n');
  });

  it('refuses an unreadable secret rather than replacing it', async () => {
    await mkdir(join(dataDir, 'audit-chain-key'));
    await expect(readOrCreateDataDirSecret(dataDir, 'audit-chain-key')).rejects.toThrow(
      /audit-chain-key exists but cannot be read \(EISDIR\); refusing to replace it/,
    );
  });

  it('refuses a key file that is not a key of the right size', async () => {
    await writeFile(join(dataDir, 'key'), `${Buffer.alloc(16).toString('base64')}\n`);
    await expect(readOrCreateDataDirKey(dataDir, 'key', 32)).rejects.toThrow(/does not hold a 32-byte base64 key/);
  });
});
