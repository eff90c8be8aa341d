/**
 * The secured work written by hand on bare Fastify 5: jwt verify with a KeyObject made once, one
 * session-join-user query, a role check, an audit row per request, a prom-client histogram.
 * Started by bench/fast-path.bench.ts as its own process (see launch.ts).
 */
import { createSecretKey } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { Pool } from 'pg';
import { Histogram, register } from 'prom-client';
import {
  type AccessClaims,
  type AgentBody,
  announceReady,
  closeOnSignals,
  isUniqueViolation,
  MANAGE_ROLES,
  peerConfig,
  prepareDatabase,
  type Principal,
  READ_ROLES,
  sessionVerdict,
} from './peer-common';

interface AgentRow {
  id: string;
  name: string;
  description: string | null;
  status: string;
  config: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

interface SessionRow {
  id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  last_seen_at: Date;
  username: string;
  role: string;
  is_active: boolean;
}

interface CreateAgentInput {
  name: string;
  description?: string;
  status?: 'active' | 'paused';
  config?: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const AGENT_COLUMNS = 'id, name, description, status, config, created_at, updated_at';
const SESSION_LOOKUP = `
  SELECT s.id, s.user_id, s.expires_at, s.revoked_at, s.last_seen_at, u.username, u.role, u.is_active
    FROM sessions s JOIN users u ON u.id = s.user_id
   WHERE s.id = $1 AND s.user_id = $2`;
const AUDIT_INSERT = `
  INSERT INTO audit_log (user_id, session_id, action, resource_type, resource_id, method, path, status, ip,
                         user_agent, duration_ms, success)
  VALUES ($1, $2, $3, 'agent', $4, $5, $6, $7, $8, $9, $10, true)`;

function agentBody(row: AgentRow): AgentBody {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status,
    config: row.config,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

async function main(): Promise<void> {
  const config = peerConfig('bare_fastify');
  const seed = await prepareDatabase(config);
  const pool = new Pool({
    connectionString: config.databaseUrl,
    max: config.poolSize,
    application_name: 'bare-fastify',
    options: `-c search_path=${config.schema}`,
  });
  const key = createSecretKey(Buffer.from(config.jwtSecret));
  const verifyOptions: jwt.VerifyOptions & { complete?: false } = {
    algorithms: ['HS256'],
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  };
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });

  // Unknown body fields are refused (400), as Sentinel's validation refuses them, rather than stripped.
  const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false } } });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  const unauthorized = (reply: FastifyReply) => reply.code(401).send({ code: 'UNAUTHENTICATED' });

  /** Token, then the session row (revoked, expired, inactive user, idle), then the role. */
  const secured =
    (roles: readonly string[]) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const header = request.headers.authorization;
      if (!header?.startsWith('Bearer ')) return unauthorized(reply);
      let claims: Partial<AccessClaims>;
      try {
        claims = jwt.verify(header.slice(7), key, verifyOptions) as Partial<AccessClaims>;
      } catch {
        return unauthorized(reply);
      }
      const now = new Date();
      const { rows } = await pool.query<SessionRow>(SESSION_LOOKUP, [String(claims.jti), String(claims.sub)]);
      const row = rows.at(0);
      const verdict = sessionVerdict(
        row && {
          revokedAt: row.revoked_at,
          expiresAt: row.expires_at,
          lastSeenAt: row.last_seen_at,
          userIsActive: row.is_active,
        },
        now,
        config.sessionIdleTimeoutMs,
      );
      if (verdict === 'refused' || !row) return unauthorized(reply);
      if (verdict === 'idle') {
        await pool.query(
          `UPDATE sessions SET revoked_at = $2, revoked_reason = 'idle_timeout' WHERE id = $1 AND revoked_at IS NULL`,
          [row.id, now],
        );
        return unauthorized(reply);
      }
      if (verdict === 'touch') await pool.query('UPDATE sessions SET last_seen_at = $2 WHERE id = $1', [row.id, now]);
      if (!roles.includes(row.role)) return reply.code(403).send({ code: 'FORBIDDEN' });
      request.principal = { userId: row.user_id, username: row.username, role: row.role, sessionId: row.id };
    };

  const auditValues = (request: FastifyRequest, reply: FastifyReply, action: string, resourceId: string) => [
    request.principal?.userId,
    request.principal?.sessionId,
    action,
    resourceId,
    request.method,
    request.url,
    reply.statusCode,
    request.ip,
    request.headers['user-agent'] ?? null,
    reply.elapsedTime,
  ];

  app.get('/health/live', () => ({ status: 'ok' }));

  app.get('/metrics', async (_request, reply) => {
    reply.type(register.contentType);
    return register.metrics();
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/agents/:id',
    {
      onRequest: secured(READ_ROLES),
      schema: {
        params: {
          type: 'object',
          properties: { id: { type: 'string', format: 'uuid' } },
          required: ['id'],
        },
      },
    },
    async (request, reply) => {
      const { rows } = await pool.query<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1`, [
        request.params.id,
      ]);
      const row = rows.at(0);
      if (!row) return reply.code(404).send({ code: 'AGENT_NOT_FOUND' });
      // A read's audit row is written without holding up the answer, as Sentinel queues a read's row.
      pool.query(AUDIT_INSERT, auditValues(request, reply, 'agents.get', row.id)).catch((error: unknown) => {
        process.stderr.write(`audit insert failed: ${String(error)}\n`);
      });
      return agentBody(row);
    },
  );

  app.post<{ Body: CreateAgentInput }>(
    '/api/v1/agents',
    {
      onRequest: secured(MANAGE_ROLES),
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            description: { type: 'string', maxLength: 2000 },
            status: { type: 'string', enum: ['active', 'paused'] },
            config: { type: 'object' },
          },
        },
      },
    },
    async (request, reply) => {
      const input = request.body;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<AgentRow>(
          `INSERT INTO agents (name, description, status, config) VALUES ($1, $2, $3, $4) RETURNING ${AGENT_COLUMNS}`,
          [input.name, input.description ?? null, input.status ?? 'active', input.config ?? {}],
        );
        const row = rows[0];
        reply.code(201);
        // The state change and its audit row commit together, before the answer.
        await client.query(AUDIT_INSERT, auditValues(request, reply, 'agents.create', row.id));
        await client.query('COMMIT');
        return agentBody(row);
      } catch (error) {
        await client.query('ROLLBACK');
        if (!isUniqueViolation(error)) throw error;
        reply.code(409);
        return { code: 'AGENT_NAME_TAKEN' };
      } finally {
        client.release();
      }
    },
  );

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('no listening address');
  closeOnSignals(async () => {
    await app.close();
    await pool.end();
  });
  announceReady({ port: address.port, token: seed.token, agentId: seed.agentId });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bare-fastify peer failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
