/** A WHERE clause and its parameters, numbered from $1. */
export interface SqlFilter {
  where: string;
  params: unknown[];
}

/**
 * Builds the WHERE clause of a filtered read one optional condition at a
 * time; values only ever travel as parameters.
 */
export class SqlFilterBuilder {
  private readonly conditions: string[] = [];
  private readonly params: unknown[] = [];

  /** Adds `sql(placeholder)` when `value` is given (not undefined, nor empty text). */
  when(value: unknown, sql: (placeholder: string) => string): this {
    if (value === undefined || value === '') return this;
    this.params.push(value);
    this.conditions.push(sql(`$${this.params.length}`));
    return this;
  }

  build(): SqlFilter {
    return { where: this.conditions.length > 0 ? this.conditions.join(' AND ') : 'true', params: [...this.params] };
  }
}
