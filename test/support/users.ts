import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { PasswordHasher } from '../../src/auth/password/password-hasher.service';
import type { Role } from '../../src/rbac/role';
import { request } from './http';

export interface TestUser {
  id: string;
  username: string;
  password: string;
  role: Role;
}

let sequence = 0;

/** A strong password that passes the policy, different every call. */
export function strongPassword(): string {
  return `Tq7!${randomBytes(12).toString('base64url')}-lantern`;
}

/**
 * Inserts a ready-to-use user straight into the database (hashed with the
 * app's own hasher), so tests of one feature do not depend on another's API.
 */
export async function createUser(
  app: NestFastifyApplication,
  options: { role: Role; username?: string; password?: string; mustChangePassword?: boolean; isActive?: boolean },
): Promise<TestUser> {
  sequence += 1;
  const username = options.username ?? `${options.role.toLowerCase()}_${sequence}_${randomBytes(3).toString('hex')}`;
  const password = options.password ?? strongPassword();
  const hash = await app.get(PasswordHasher).hash(password);
  const [row] = await app.get(DataSource).query<{ id: string }[]>(
    `INSERT INTO users (username, email, role, password_hash, must_change_password, is_active)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [
      username,
      `${username}@example.test`,
      options.role,
      hash,
      options.mustChangePassword ?? false,
      options.isActive ?? true,
    ],
  );
  return { id: row.id, username, password, role: options.role };
}

export interface LoginResult {
  status: number;
  token?: string;
  sessionId?: string;
  body: Record<string, unknown>;
}

export async function login(
  baseUrl: string,
  credentials: { username: string; password: string; totpCode?: string; recoveryCode?: string },
): Promise<LoginResult> {
  const { username, password, totpCode, recoveryCode } = credentials;
  const result = await request<Record<string, unknown>>(baseUrl, '/api/v1/auth/login', {
    method: 'POST',
    json: { username, password, totpCode, recoveryCode },
  });
  return {
    status: result.status,
    token: typeof result.body.accessToken === 'string' ? result.body.accessToken : undefined,
    sessionId: typeof result.body.sessionId === 'string' ? result.body.sessionId : undefined,
    body: result.body,
  };
}

/** Logs in and returns the bearer token, failing the test if login does not succeed. */
export async function tokenFor(baseUrl: string, user: { username: string; password: string }): Promise<string> {
  const result = await login(baseUrl, user);
  if (result.status !== 200 || !result.token) {
    throw new Error(`login of ${user.username} failed: ${result.status} ${JSON.stringify(result.body)}`);
  }
  return result.token;
}
