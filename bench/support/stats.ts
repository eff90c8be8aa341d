/** The q-th quantile (0..1) of the samples, nearest-rank. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

export function median(samples: number[]): number {
  return quantile(samples, 0.5);
}

export function format(value: number, digits = 1): string {
  return value.toFixed(digits);
}

/** Runs `worker` on `concurrency` loops until `durationMs` has passed; returns how many calls completed. */
export async function runFor(durationMs: number, concurrency: number, worker: () => Promise<void>): Promise<number> {
  const deadline = performance.now() + durationMs;
  let completed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await worker();
        completed++;
      }
    }),
  );
  return completed;
}

/** Times sequential calls of `call` for `durationMs`, returning each latency in ms. */
export async function sampleLatencies(durationMs: number, call: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + durationMs;
  while (performance.now() < deadline) {
    const started = performance.now();
    await call();
    latencies.push(performance.now() - started);
  }
  return latencies;
}
