/** The label value that stands for every value past the budget. */
export const OTHER_LABEL = 'other';

/**
 * Caps the distinct values one label may take. Each value is a series kept in
 * memory for the life of the process; values reported by callers (API names)
 * must not be able to grow that without bound.
 */
export class BoundedLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER_LABEL;
    this.seen.add(value);
    return value;
  }
}
