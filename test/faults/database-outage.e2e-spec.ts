import { setTimeout as delay } from 'node:timers/promises';
import { Role } from '../../src/rbac/role';
import { Cluster } from '../cluster/harness';
import {
  DatabaseProxy,
  type Exchange,
  isUniformError,
  startLoad,
  testDatabaseServer,
  unrecordedChanges,
} from './fault-support';

const OUTAGE_MS = 6000;
const PREFIX = 'outage';

/** Two instances reach PostgreSQL through a proxy the test cuts under load and restores. */
describe('faults: PostgreSQL goes away under concurrent writes and reads, and comes back', () => {
  let proxy: DatabaseProxy;
  let cluster: Cluster;
  let token: string;

  beforeAll(async () => {
    proxy = await DatabaseProxy.start(testDatabaseServer());
    cluster = await Cluster.start({ instances: 2, connectUrl: (url) => proxy.urlFor(url) });
    const admin = await cluster.createUser(Role.Admin);
    token = (await cluster.login(0, admin)).token;
  }, 180_000);
  afterAll(async () => {
    await cluster.close();
    await proxy.close();
  });

  const readiness = () => cluster.requestEach('/health/ready', { timeoutMs: 5000 });

  it('answers 503 with the uniform body during the outage, recovers by itself, and loses no audit row', async () => {
    const load = startLoad(cluster, token, { writers: 4, readers: 2, prefix: PREFIX, maxSeconds: 90 });
    await delay(1500);

    proxy.cutOff();
    const cutAt = Date.now();
    // Readiness goes 503 on both, by itself.
    let ready = await readiness();
    for (let i = 0; i < 50 && ready.some((result) => result.status !== 503); i++) {
      await delay(100);
      ready = await readiness();
    }
    expect(ready.map((result) => result.status)).toEqual([503, 503]);
    await delay(Math.max(0, OUTAGE_MS - (Date.now() - cutAt)));
    const restoredAt = Date.now();
    proxy.restore();

    // ...and 200 again, with nobody restarting anything.
    const deadline = Date.now() + 30_000;
    while ((await readiness()).some((result) => result.status !== 200)) {
      if (Date.now() > deadline) throw new Error('an instance did not become ready again within 30 s of the restore');
      await delay(200);
    }
    await delay(1000);
    const exchanges = await load.stop();

    // Nothing hung, nothing was refused as unauthenticated, nothing was a 500.
    const bad = (exchange: Exchange) =>
      !(
        (exchange.status >= 200 && exchange.status < 300) ||
        isUniformError(exchange, 503, 'DATABASE_UNAVAILABLE') ||
        isUniformError(exchange, 503)
      );
    expect(exchanges.filter(bad)).toEqual([]);
    // Every request that began and ended inside the outage (a second after the cut) was refused with the 503.
    const inside = exchanges.filter((exchange) => exchange.startedAt > cutAt + 1000 && exchange.endedAt < restoredAt);
    expect(inside.length).toBeGreaterThan(10);
    expect(inside.filter((exchange) => !isUniformError(exchange, 503, 'DATABASE_UNAVAILABLE'))).toEqual([]);
    // Load went on around the outage.
    const acknowledged = exchanges
      .filter((exchange) => exchange.kind === 'write' && exchange.status === 201)
      .map((exchange) => (exchange.body as { id: string }).id);
    expect(exchanges.some((exchange) => exchange.status === 201 && exchange.startedAt > restoredAt)).toBe(true);

    // Counted in the database: no change without its audit row, no 2xx without one. The chain catches up first.
    let counts = await unrecordedChanges(cluster, PREFIX, acknowledged);
    for (let i = 0; i < 50 && (counts.changesWithoutRow > 0 || counts.acknowledgedWithoutRow > 0); i++) {
      await delay(200);
      counts = await unrecordedChanges(cluster, PREFIX, acknowledged);
    }
    expect(counts).toEqual({ changesWithoutRow: 0, acknowledgedWithoutRow: 0, acknowledgedMissing: 0 });
    // No instance logged a crash, and both still serve.
    for (const instance of cluster.instances) expect(instance.running).toBe(true);
  }, 180_000);
});
