import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AuditTrail } from '../../src/audit/audit-trail.service';

export interface StoredAuditRow {
  id: string;
  action_type: string;
  resource_type: string | null;
  resource_id: string | null;
  user_id: string | null;
  username: string | null;
  api_key_id: string | null;
  request_method: string | null;
  ip_address: string | null;
  request_path: string | null;
  response_status: number | null;
  success: boolean;
  allowed: boolean | null;
  error_message: string | null;
  error_code: string | null;
  action_details: Record<string, unknown> | null;
  metadata: { route?: string } | null;
  trace_id: string | null;
}

/** Writes and chains what the app still holds, then reads rows straight from the table. */
export async function auditRows(
  app: NestFastifyApplication,
  where = 'true',
  params: unknown[] = [],
): Promise<StoredAuditRow[]> {
  await app.get(AuditTrail).flush();
  return app.get(DataSource).query<StoredAuditRow[]>(`SELECT * FROM audit_logs WHERE ${where} ORDER BY id`, params);
}

/** Runs SQL on the test server as its administrator (outside the app's pool). */
export async function asAdministrator<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Makes the app's database unreachable (new connections refused, open ones ended), and returns how to undo it. */
export async function cutDatabase(databaseUrl: string): Promise<() => Promise<void>> {
  const name = new URL(databaseUrl).pathname.slice(1);
  await asAdministrator(async (client) => {
    await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
  });
  return () =>
    asAdministrator((client) => client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)).then(() => undefined);
}
