import { QueryFailedError } from 'typeorm';

const UNIQUE_VIOLATION = '23505';

/** The SQLSTATE of a failed query (e.g. '23505'), or undefined for any other error. */
export function postgresErrorCode(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const code = (error.driverError as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The name of the unique constraint a failed write broke, or undefined if it failed otherwise. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  if (postgresErrorCode(error) !== UNIQUE_VIOLATION) return undefined;
  return ((error as QueryFailedError).driverError as { constraint?: string }).constraint ?? '';
}
