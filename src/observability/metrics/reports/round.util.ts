/** Rounds for display: figures in answers carry no more digits than mean anything. */
export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
