import { availableParallelism } from 'node:os';

export const MAX_WORKERS = 64;

/**
 * WORKERS: how many server processes share the port. `auto` is one per core;
 * anything else must be a whole number from 1 to MAX_WORKERS. Returns an
 * error message for a value that is neither, so the start can refuse it.
 */
export function parseWorkerCount(raw: string | undefined, cores = availableParallelism()): number | string {
  const value = (raw ?? '1').trim().toLowerCase();
  if (value === 'auto') return Math.min(Math.max(cores, 1), MAX_WORKERS);
  if (!/^\d+$/.test(value)) return `must be "auto" or a whole number from 1 to ${MAX_WORKERS}`;
  const count = Number(value);
  if (count < 1 || count > MAX_WORKERS) return `must be "auto" or a whole number from 1 to ${MAX_WORKERS}`;
  return count;
}
