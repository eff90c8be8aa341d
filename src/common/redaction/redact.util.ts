/** Field names whose values are credentials and never leave the process as data. */
const SENSITIVE_FIELD =
  /password|passphrase|^pass$|secret|token|api[-_]?key|^key$|authorization|cookie|credential|totp|^otp|recovery|^code$|[-_]code$|private[-_]?key|salt|hash|^value$|plaintext/i;

export const REDACTED = '[REDACTED]';
const MAX_DEPTH = 6;

export function isSensitiveField(name: string): boolean {
  return SENSITIVE_FIELD.test(name);
}

/**
 * A copy of `value` with every field whose name looks like a credential
 * replaced, at any depth. Used before anything reaches a log line or an audit row.
 */
export function redactSensitiveFields(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.map((item) => redactSensitiveFields(item, depth + 1));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      isSensitiveField(key) ? REDACTED : redactSensitiveFields(field, depth + 1),
    ]),
  );
}
