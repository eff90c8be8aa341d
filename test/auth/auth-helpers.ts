import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { type HttpResult, request } from '../support/http';

export const API = '/api/v1';
export const LOGIN = `${API}/auth/login`;
/** The one message of every refused login, whatever the reason. */
export const INVALID_CREDENTIALS = 'Invalid username or password';
export const UUID = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/;

export interface UserRow {
  password_hash: string;
  failed_login_attempts: number;
  locked_until: Date | null;
  last_login_at: Date | null;
  last_login_ip: string | null;
  must_change_password: boolean;
  totp_secret: string | null;
}

export async function sql<T = Record<string, unknown>>(
  app: NestFastifyApplication,
  query: string,
  parameters: unknown[] = [],
): Promise<T[]> {
  return app.get(DataSource).query<T[]>(query, parameters);
}

/** The stored credentials state of one user, straight from the database. */
export async function userRow(app: NestFastifyApplication, userId: string): Promise<UserRow> {
  const [row] = await sql<UserRow>(
    app,
    `SELECT password_hash, failed_login_attempts, locked_until, last_login_at, host(last_login_ip) AS last_login_ip,
            must_change_password, totp_secret
       FROM users WHERE id = $1`,
    [userId],
  );
  return row;
}

export function loginRequest(baseUrl: string, body: unknown): Promise<HttpResult<Record<string, unknown>>> {
  return request<Record<string, unknown>>(baseUrl, LOGIN, { method: 'POST', json: body });
}

export function me(baseUrl: string, token: string): Promise<HttpResult<Record<string, unknown>>> {
  return request<Record<string, unknown>>(baseUrl, `${API}/auth/me`, { token });
}

export interface ClientLockRow {
  failures: number;
  in_flight: number;
  locked_until: Date | null;
  lockouts: number;
}

/** The lockout state of one (account, client ip) pair; undefined when nothing is counted for it. */
export async function clientLockRow(
  app: NestFastifyApplication,
  userId: string,
  ip = '127.0.0.1',
): Promise<ClientLockRow | undefined> {
  const [row] = await sql<ClientLockRow>(
    app,
    'SELECT failures, in_flight, locked_until, lockouts FROM login_failures WHERE user_id = $1 AND client_ip = $2',
    [userId, ip],
  );
  return row;
}
