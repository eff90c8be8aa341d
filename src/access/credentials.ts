import type { IncomingHttpHeaders } from 'node:http';

/** What a request presents to prove who it is, read strictly from its headers. */
export type PresentedCredential =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'api-key'; key: string }
  /** Malformed, an unknown scheme, or more than one credential: refused, never guessed at. */
  | { kind: 'invalid' };

// A token or key is one run of visible characters: `Bearer <token> extra` is not a bearer token.
const AUTHORIZATION = /^([A-Za-z]+) +([\x21-\x7e]+)$/;
const SINGLE_VALUE = /^[\x21-\x7e]+$/;
/** Longer than any token or key the app issues; a longer value is refused before any work is done on it. */
const MAX_CREDENTIAL_LENGTH = 4096;

/**
 * `Authorization: Bearer <token>`, `Authorization: ApiKey <key>` or `X-API-Key: <key>`;
 * never the query string. A request carrying two of them is refused rather than
 * letting whichever is valid win.
 */
export function presentedCredential(headers: IncomingHttpHeaders): PresentedCredential {
  const authorization = headers.authorization;
  const apiKeyHeader = headers['x-api-key'];
  if (authorization === undefined && apiKeyHeader === undefined) return { kind: 'none' };
  if (authorization !== undefined && apiKeyHeader !== undefined) return { kind: 'invalid' };
  if (apiKeyHeader !== undefined) {
    return typeof apiKeyHeader === 'string' && isCredentialValue(apiKeyHeader)
      ? { kind: 'api-key', key: apiKeyHeader }
      : { kind: 'invalid' };
  }
  const match = authorization === undefined ? null : AUTHORIZATION.exec(authorization);
  if (!match || match[2].length > MAX_CREDENTIAL_LENGTH) return { kind: 'invalid' };
  const scheme = match[1].toLowerCase();
  if (scheme === 'bearer') return { kind: 'bearer', token: match[2] };
  if (scheme === 'apikey') return { kind: 'api-key', key: match[2] };
  return { kind: 'invalid' };
}

function isCredentialValue(value: string): boolean {
  return value.length <= MAX_CREDENTIAL_LENGTH && SINGLE_VALUE.test(value);
}
