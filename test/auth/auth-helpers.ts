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
