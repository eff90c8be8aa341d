/** The prefix of a bench's machine-readable lines; `npm run bench` collects them into bench/RESULTS.md. */
export const RESULT_PREFIX = 'RESULT ';

export interface BenchResult {
  /** The bench that measured it (its file name without .bench.ts). */
  bench: string;
  /** What was measured, in words. */
  figure: string;
  value: number;
  unit: string;
  /** The same quantity measured in the same run without the thing under test, when there is one. */
  baseline?: { name: string; value: number };
  /** The goal, as text (">= 0.90x", "< 250 MB"). */
  goal?: string;
}

/** Prints one figure as `RESULT {json}` on a line of its own, beside the bench's human-readable output. */
export function reportResult(result: BenchResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** Reads every RESULT line from a bench's output; other lines are left alone. */
export function parseResults(output: string): BenchResult[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith(RESULT_PREFIX))
    .map((line) => JSON.parse(line.slice(RESULT_PREFIX.length)) as BenchResult);
}
