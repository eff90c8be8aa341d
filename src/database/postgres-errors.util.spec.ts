import { runInNewContext } from 'node:vm';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, postgresErrorCode } from './postgres-errors.util';

function socketError(message: string, code: string): Error {
  // Built in another realm, as Node's own socket errors are when the app runs inside Jest's vm context.
  return runInNewContext('Object.assign(new Error(message), { code, syscall: "read" })', { message, code }) as Error;
}

const failed = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

describe('isDatabaseUnavailable', () => {
  it('reads a dropped connection as unavailable, whichever realm built the error', () => {
    const reset = socketError('read ECONNRESET', 'ECONNRESET');
    expect(reset instanceof Error).toBe(false);
    expect(isDatabaseUnavailable(failed(reset))).toBe(true);
    expect(isDatabaseUnavailable(reset)).toBe(true);
  });

  it('reads a server going away (57P01) and a pool that cannot connect as unavailable', () => {
    expect(isDatabaseUnavailable(failed(Object.assign(new Error('terminating connection'), { code: '57P01' })))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('does not read a query the database answered with a refusal as unavailable', () => {
    const unique = failed(Object.assign(new Error('duplicate key'), { code: '23505' }));
    expect(isDatabaseUnavailable(unique)).toBe(false);
    expect(postgresErrorCode(unique)).toBe('23505');
    expect(isDatabaseUnavailable('ECONNRESET')).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});
