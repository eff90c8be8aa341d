/** What a tracked external call's result or error says about the call. */
export interface CallOutcome {
  statusCode: number | null;
  success: boolean;
  /** Absent: the API's price per call applies. */
  cost?: number;
}

function field(source: unknown, name: string): unknown {
  return typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[name] : undefined;
}

function statusOf(source: unknown): number | null {
  for (const name of ['status', 'statusCode']) {
    const value = field(source, name);
    if (typeof value === 'number' && Number.isInteger(value)) return value;
  }
  return null;
}

/** Reads status, ok/success and cost from a result; a result without them is a successful call at list price. */
export function outcomeOfResult(result: unknown): CallOutcome {
  const statusCode = statusOf(result);
  const declared = field(result, 'success') ?? field(result, 'ok');
  const success = typeof declared === 'boolean' ? declared : statusCode === null || statusCode < 400;
  const cost = field(result, 'cost');
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0
    ? { statusCode, success, cost }
    : { statusCode, success };
}

/** A thrown error is a failed call, with the status the error carries if any. */
export function outcomeOfError(error: unknown): CallOutcome {
  return { statusCode: statusOf(error), success: false };
}
