import { rm } from 'node:fs/promises';
import { migratedTemplateName, withAdminClient } from './test-run';

export default async function globalTeardown(): Promise<void> {
  const embedded = globalThis.embeddedTestServer;
  if (!embedded) {
    // The machine's PostgreSQL outlives the run: its template goes (the embedded server goes whole).
    await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${migratedTemplateName()} WITH (FORCE)`));
    return;
  }
  await embedded.server.stop();
  await rm(embedded.dataDir, { recursive: true, force: true });
}
