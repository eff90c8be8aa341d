import { QueryFailedError } from 'typeorm';

const UNIQUE_VIOLATION = '23505';
/** Connection exceptions (08), operator intervention (57P01-57P05), insufficient resources (53). */
const UNAVAILABLE_SQLSTATE = /^(08|57P0|53)/;
const UNAVAILABLE_SYSTEM_CODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|the database system is (starting up|shutting down)|is not currently accepting connections/i;

/**
 * TypeORM's names for "this query runner's connection is gone": in a request's
 * transaction they mean the server dropped the connection (TypeORM releases a
 * runner whose client errored), so the transaction is lost with it.
 */
const RELEASED_RUNNER_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

function driverErrorOf(error: unknown): unknown {
  return error instanceof QueryFailedError ? error.driverError : error;
}

/** The SQLSTATE of a failed query (e.g. '23505'), or undefined for any other error. */
export function postgresErrorCode(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const code = (error.driverError as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The name of the unique constraint a failed write broke, or undefined if it failed otherwise. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  if (postgresErrorCode(error) !== UNIQUE_VIOLATION) return undefined;
  return ((error as QueryFailedError).driverError as { constraint?: string }).constraint ?? '';
}

/**
 * True when the error says the database cannot be reached or is going away
 * (refused or dropped connections, a pool that cannot connect, a server
 * shutting down), as opposed to a query it answered with an error: what a
 * client should hear as 503, not as 401 or 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const cause = driverErrorOf(error);
  // Not `instanceof Error`: a socket error is built by Node's own Error, which is
  // another realm's class wherever the app runs in a vm context (Jest does).
  if (typeof cause !== 'object' || cause === null) return false;
  const { name, code, message } = cause as { name?: unknown; code?: unknown; message?: unknown };
  if (typeof name === 'string' && RELEASED_RUNNER_ERRORS.has(name)) return true;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SYSTEM_CODE.has(code))) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}
