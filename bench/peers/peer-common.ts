/**
 * What the two peer servers (express-nest.ts, bare-fastify.ts) share: their configuration, their schema
 * and seed, the session rules they apply and how they tell the benchmark they are ready. Each peer does
 * Sentinel's secured work its own way; only the data model and the rules are common, so the comparison
 * is of the request path, not of what is stored.
 */
import { createSecretKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';

/** The line a peer prints on stdout once it listens; launch.ts waits for it. */
export const READY_PREFIX = 'PEER_READY ';

export interface PeerConfig {
  host: string;
  port: number;
  databaseUrl: string;
  /** The peer's own schema in the shared bench database, dropped and created at start. */
  schema: string;
  /** The pool size Sentinel uses by default (DATABASE_POOL_SIZE). */
  poolSize: number;
  jwtSecret: string;
  jwtIssuer: string;
  jwtAudience: string;
  sessionTtlHours: number;
  sessionIdleTimeoutMs: number;
}

export interface PeerReady {
  port: number;
  token: string;
  agentId: string;
}

/** Roles allowed per route, as Sentinel's role table grants agents:read and agents:manage. */
export const READ_ROLES = ['ADMIN', 'OPERATOR', 'AUDITOR'] as const;
export const MANAGE_ROLES = ['ADMIN'] as const;

/** last_seen_at is refreshed at most this often, as Sentinel's SessionService does. */
export const TOUCH_INTERVAL_MS = 15_000;

/** The claims Sentinel puts in an access token; only sub and jti are trusted. */
export interface AccessClaims {
  sub: string;
  jti: string;
  username: string;
}

/** The caller once the token and its session row have been checked. */
export interface Principal {
  userId: string;
  username: string;
  role: string;
  sessionId: string;
}

export type SessionVerdict = 'refused' | 'idle' | 'touch' | 'good';

/** The columns of a session row the checks need, whatever read them. */
export interface SessionState {
  revokedAt: Date | null;
  expiresAt: Date;
  lastSeenAt: Date;
  userIsActive: boolean;
}

/**
 * Sentinel's rules for a session row: unknown, revoked, expired or of an inactive user is refused;
 * idle for longer than the timeout is revoked and refused; otherwise good, touched every 15 s.
 */
export function sessionVerdict(session: SessionState | undefined, now: Date, idleTimeoutMs: number): SessionVerdict {
  if (!session || session.revokedAt !== null || session.expiresAt <= now || !session.userIsActive) return 'refused';
  const idle = now.getTime() - session.lastSeenAt.getTime();
  if (idle > idleTimeoutMs) return 'idle';
  return idle > TOUCH_INTERVAL_MS ? 'touch' : 'good';
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export function peerConfig(defaultSchema: string): PeerConfig {
  const env = process.env;
  const schema = env.PEER_SCHEMA ?? defaultSchema;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`PEER_SCHEMA must be a plain identifier, got ${schema}`);
  return {
    host: env.HOST ?? '127.0.0.1',
    port: Number(env.PORT ?? 0),
    databaseUrl: required('DATABASE_URL'),
    schema,
    poolSize: Number(env.DATABASE_POOL_SIZE ?? 10),
    jwtSecret: required('JWT_SECRET'),
    jwtIssuer: env.JWT_ISSUER ?? 'sentinel',
    jwtAudience: env.JWT_AUDIENCE ?? 'sentinel-api',
    sessionTtlHours: Number(env.SESSION_TTL_HOURS ?? 24),
    sessionIdleTimeoutMs: Number(env.SESSION_IDLE_TIMEOUT_MINUTES ?? 30) * 60_000,
  };
}

/** Sentinel's columns for users, sessions and agents (so a row costs what it costs there), and a plain audit table. */
function schemaSql(schema: string): string {
  return `
    DROP SCHEMA IF EXISTS ${schema} CASCADE;
    CREATE SCHEMA ${schema};
    SET search_path = ${schema};
    CREATE TABLE users (
      id uuid PRIMARY KEY,
      username text NOT NULL UNIQUE,
      email text NOT NULL,
      display_name text,
      role text NOT NULL,
      is_active boolean NOT NULL DEFAULT true,
      must_change_password boolean NOT NULL DEFAULT false,
      password_hash text NOT NULL,
      password_changed_at timestamptz NOT NULL DEFAULT now(),
      failed_login_attempts integer NOT NULL DEFAULT 0,
      locked_until timestamptz,
      last_login_at timestamptz,
      last_login_ip inet,
      totp_secret text,
      totp_pending_secret text,
      totp_enabled_at timestamptz,
      totp_last_used_step bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE sessions (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_reason text,
      ip inet,
      user_agent text
    );
    CREATE INDEX sessions_user_id_idx ON sessions (user_id);
    CREATE TABLE agents (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      description text,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
      config jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX agents_name_lower_key ON agents (lower(name));
    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now(),
      user_id uuid,
      session_id uuid,
      action text NOT NULL,
      resource_type text,
      resource_id text,
      method text NOT NULL,
      path text NOT NULL,
      status integer NOT NULL,
      ip inet,
      user_agent text,
      duration_ms double precision,
      success boolean NOT NULL
    );`;
}

/**
 * Creates the peer's schema and seeds an admin, an open session and an agent; returns the session's
 * bearer token (signed as Sentinel signs them) and the agent's id.
 */
export async function prepareDatabase(config: PeerConfig): Promise<{ token: string; agentId: string }> {
  const client = new Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    await client.query(schemaSql(config.schema));
    const userId = randomUUID();
    const sessionId = randomUUID();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + config.sessionTtlHours * 3_600_000);
    await client.query(
      `INSERT INTO users (id, username, email, role, password_hash) VALUES ($1, 'admin', 'admin@example.test', 'ADMIN', 'unused')`,
      [userId],
    );
    await client.query(
      `INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, ip) VALUES ($1, $2, $3, $3, $4, '127.0.0.1')`,
      [sessionId, userId, now, expiresAt],
    );
    const agent = await client.query<{ id: string }>(
      `INSERT INTO agents (name, description) VALUES ('seeded-agent', 'seeded at start') RETURNING id`,
    );
    const claims: AccessClaims = { sub: userId, jti: sessionId, username: 'admin' };
    const token = jwt.sign(claims, createSecretKey(Buffer.from(config.jwtSecret)), {
      algorithm: 'HS256',
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      expiresIn: config.sessionTtlHours * 3_600,
    });
    return { token, agentId: agent.rows[0].id };
  } finally {
    await client.end();
  }
}

export function announceReady(ready: PeerReady): void {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(ready)}\n`);
}

/** The agent as Sentinel's AgentDto answers it. */
export interface AgentBody {
  id: string;
  name: string;
  description: string | null;
  status: string;
  config: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** PostgreSQL's unique_violation, for a name already taken (409, as Sentinel answers). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** Exits on SIGTERM/SIGINT once `close` is done, as the benchmark stops every server. */
export function closeOnSignals(close: () => Promise<void>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`shutdown failed: ${String(error)}\n`);
          process.exit(1);
        },
      );
    });
  }
}
