import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, DataDirLock } from './data-dir-lock';

async function startNode(script: string): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  await once(child, 'spawn');
  if (child.pid === undefined) throw new Error('node did not start');
  return child as ChildProcess & { pid: number };
}

describe('DataDirLock', () => {
  let dataDir: string;
  let lockFile: string;
  let liveHolder: ChildProcess | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sentinel-lock-'));
    lockFile = join(dataDir, 'sentinel.pid');
  });

  afterEach(async () => {
    if (liveHolder && liveHolder.exitCode === null && liveHolder.signalCode === null) {
      const exited = once(liveHolder, 'exit');
      liveHolder.kill('SIGKILL');
      await exited;
    }
    liveHolder = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes our pid on acquire', async () => {
    await new DataDirLock(dataDir).acquire();
    expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('lets the same process acquire again', async () => {
    await new DataDirLock(dataDir).acquire();
    await expect(new DataDirLock(dataDir).acquire()).resolves.toBeUndefined();
    expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dead = await startNode('0');
    if (dead.exitCode === null) await once(dead, 'exit');
    await writeFile(lockFile, `${dead.pid}\n`);

    await new DataDirLock(dataDir).acquire();

    expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('takes over a lock file that names no pid', async () => {
    await writeFile(lockFile, 'garbage\n');
    await new DataDirLock(dataDir).acquire();
    expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('refuses a DATA_DIR held by a live node process, and leaves its lock alone', async () => {
    const holder = await startNode('setTimeout(() => {}, 60000)');
    liveHolder = holder;
    await writeFile(lockFile, `${holder.pid}\n`);
    const lock = new DataDirLock(dataDir);

    const attempt = lock.acquire();

    await expect(attempt).rejects.toThrow(DataDirInUseError);
    await expect(attempt).rejects.toThrow(
      `DATA_DIR ${dataDir} is in use by another Sentinel process (pid ${holder.pid})`,
    );
    await lock.release();
    expect(await readFile(lockFile, 'utf8')).toBe(`${holder.pid}\n`);
  });

  it('removes its own lock on release', async () => {
    const lock = new DataDirLock(dataDir);
    await lock.acquire();
    await lock.release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it('releases without complaint when there is no lock file', async () => {
    await expect(new DataDirLock(dataDir).release()).resolves.toBeUndefined();
    expect(existsSync(lockFile)).toBe(false);
  });
});
