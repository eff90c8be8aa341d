import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const embedded = globalThis.embeddedTestServer;
  if (!embedded) return;
  await embedded.server.stop();
  await rm(embedded.dataDir, { recursive: true, force: true });
}
