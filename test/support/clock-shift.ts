import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = join(__dirname, 'clock-shift', 'clock-shift.c');

/** Compiles the shim once per machine and source (the machine's `cc`, as node-gyp needs anyway). */
function clockShiftLibrary(): string {
  const source = readFileSync(SOURCE);
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const library = join(tmpdir(), `sentinel-clock-shift-${digest}.so`);
  if (existsSync(library)) return library;
  const building = `${library}.${process.pid}`;
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', building, SOURCE, '-ldl'], { stdio: 'pipe' });
  renameSync(building, library);
  return library;
}

/**
 * The environment that runs a child process `offsetSeconds` ahead of (or
 * behind) the real wall clock: its Date, its cron schedules and its logs see
 * the shifted time, while timers still run on the real monotonic clock. The
 * only way to see a daily job fire in a test without a hook in the product.
 */
export function clockShiftEnv(offsetSeconds: number): Record<string, string> {
  return { LD_PRELOAD: clockShiftLibrary(), CLOCK_SHIFT_SECONDS: offsetSeconds.toFixed(3), TZ: 'UTC' };
}
