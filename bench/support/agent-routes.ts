import { BENCH_SHARED_KEYS } from './server';
import type { LoadSpec } from './load';

/** The initial admin password the bench servers start with (admin-session.ts changes it at first login). */
export const INITIAL_PASSWORD = 'Bench-lantern-passphrase-4417';

/** Sentinel on a database of the bench's own, with limits raised out of the way of a 16-connection load. */
export function sentinelEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...BENCH_SHARED_KEYS,
    DATABASE_URL: databaseUrl,
    ADMIN_INITIAL_PASSWORD: INITIAL_PASSWORD,
    PASSWORD_PBKDF2_ITERATIONS: '100000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOGS_FILE: '',
    // The peers verify HS256 with the shared secret: the same work, not EdDSA against HMAC.
    JWT_ALGORITHM: 'HS256',
    ...extra,
  };
}

/** A server with a bearer token and an agent to read: Sentinel or a peer. */
export interface RouteTarget {
  baseUrl: string;
  token: string;
  agentId: string;
}

export type RouteLoad = Omit<LoadSpec, 'connections'>;

/** The secured read: token, session row, permission, audit row, metrics. */
export function securedRead(target: RouteTarget): RouteLoad {
  return {
    url: `${target.baseUrl}/api/v1/agents/${target.agentId}`,
    headers: { authorization: `Bearer ${target.token}` },
    status: 200,
  };
}

/** The state-changing route: an agent (a fresh name each time) and its audit row, answered after COMMIT. */
export function agentCreate(target: RouteTarget): RouteLoad {
  return {
    url: `${target.baseUrl}/api/v1/agents`,
    method: 'POST',
    headers: { authorization: `Bearer ${target.token}` },
    body: JSON.stringify({ name: 'bench-[<id>]', description: 'bench' }),
    status: 201,
  };
}

export function liveness(target: Pick<RouteTarget, 'baseUrl'>): RouteLoad {
  return { url: `${target.baseUrl}/health/live`, status: 200 };
}

/** Creates an agent named `name` through the API and returns its id. */
export async function createAgent(target: Omit<RouteTarget, 'agentId'>, name: string): Promise<string> {
  const response = await fetch(`${target.baseUrl}/api/v1/agents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
    body: JSON.stringify({ name, description: 'read by the bench' }),
  });
  const text = await response.text();
  if (response.status !== 201)
    throw new Error(`creating an agent on ${target.baseUrl} failed: ${response.status} ${text}`);
  return (JSON.parse(text) as { id: string }).id;
}
