import { Client } from 'pg';

/** The PostgreSQL server of this run, as its superuser (global setup provides it for the embedded one). */
export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: jest globalSetup should have provided it');
  return url;
}

export async function withAdminClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The migrated template database of this Jest run (test/support/test-database.ts
 * builds it; global teardown drops it). Its prefix is one .ci/run clears after
 * an interrupted run. TEST_RUN_ID comes from global setup, inherited by every worker.
 */
export function migratedTemplateName(): string {
  const runId = process.env.TEST_RUN_ID;
  if (!runId) throw new Error('TEST_RUN_ID is not set: jest globalSetup should have provided it');
  return `sentinel_e2e_template_${runId}`;
}
