import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive, processCommandLine, waitForExit } from './process.util';

const SHUTDOWN_WAIT_MS = 30_000;

/**
 * After the app is killed with SIGKILL its PostgreSQL child lives on, and the
 * next start fails on postmaster.pid. The caller already holds the DATA_DIR
 * lock, so a server still running on this data directory is an orphan of a
 * dead Sentinel: stop it cleanly (fast shutdown keeps every committed write).
 * A pid file naming a process that is gone, or a recycled pid, is removed.
 */
export async function stopStaleServer(pgData: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(pgData, 'postmaster.pid');
  const content = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (content === undefined) return;

  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  const commandLine = Number.isInteger(pid) && isProcessAlive(pid) ? await processCommandLine(pid) : undefined;
  if (commandLine === undefined || !commandLine.includes(pgData)) {
    log(`removing stale ${pidFile}`);
    await rm(pidFile, { force: true });
    return;
  }

  log(`stopping orphaned PostgreSQL server (pid ${pid}) left by a previous run`);
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, SHUTDOWN_WAIT_MS))) {
    // Immediate shutdown: PostgreSQL replays its WAL on the next start, so nothing committed is lost.
    process.kill(pid, 'SIGQUIT');
    await waitForExit(pid, SHUTDOWN_WAIT_MS);
  }
}
