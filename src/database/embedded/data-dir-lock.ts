import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive, processCommandLine } from './process.util';

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(`DATA_DIR ${dataDir} is in use by another Sentinel process (pid ${pid}); stop it or choose another DATA_DIR`);
    this.name = 'DataDirInUseError';
  }
}

/**
 * One Sentinel process owns a DATA_DIR at a time: two would start two
 * PostgreSQL servers on one data directory. A lock left by a process that died
 * (kill -9, power loss) is taken over, which is what makes a restart after a
 * crash just work.
 */
export class DataDirLock {
  private readonly file: string;

  constructor(private readonly dataDir: string) {
    this.file = join(dataDir, 'sentinel.pid');
  }

  async acquire(): Promise<void> {
    const holder = await this.currentHolder();
    if (holder !== undefined && holder !== process.pid) {
      throw new DataDirInUseError(this.dataDir, holder);
    }
    await writeFile(this.file, `${process.pid}\n`, { mode: 0o600 });
  }

  async release(): Promise<void> {
    if ((await this.currentHolder()) === process.pid) {
      await rm(this.file, { force: true });
    }
  }

  private async currentHolder(): Promise<number | undefined> {
    const content = await readFile(this.file, 'utf8').catch(() => '');
    const pid = Number.parseInt(content, 10);
    if (!Number.isInteger(pid) || !isProcessAlive(pid)) return undefined;
    const commandLine = await processCommandLine(pid);
    // A recycled pid that now belongs to something other than node is not a holder.
    return commandLine === undefined || commandLine.includes('node') ? pid : undefined;
  }
}
