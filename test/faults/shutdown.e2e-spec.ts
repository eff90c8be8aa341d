import { setTimeout as delay } from 'node:timers/promises';
import { Role } from '../../src/rbac/role';
import { Cluster } from '../cluster/harness';
import { isUniformError, startLoad, unrecordedChanges } from './fault-support';

const SHUTDOWN_TIMEOUT_MS = 5000;
const PREFIX = 'sigterm';

describe('faults: SIGTERM under load', () => {
  let cluster: Cluster;
  let token: string;

  beforeAll(async () => {
    cluster = await Cluster.start({ instances: 1, env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) } });
    const admin = await cluster.createUser(Role.Admin);
    token = (await cluster.login(0, admin)).token;
  }, 120_000);
  afterAll(() => cluster.close());

  it('finishes what is in flight, exits 0 within SHUTDOWN_TIMEOUT_MS, and loses nothing it acknowledged', async () => {
    const load = startLoad(cluster, token, { writers: 6, readers: 2, prefix: PREFIX, maxSeconds: 60 });
    await delay(2000);
    const signalledAt = Date.now();
    const exit = await cluster.stop(0, 'SIGTERM');
    const tookMs = Date.now() - signalledAt;
    await delay(300);
    const exchanges = await load.stop();

    expect(exit).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    // Every answer is the work done or a uniform 503; no request hung; no connection failed but by refusal or reset.
    const answered = exchanges.filter((exchange) => exchange.status !== 0);
    expect(answered.filter((exchange) => !(exchange.status < 300 || isUniformError(exchange, 503)))).toEqual([]);
    const failed = exchanges.filter((exchange) => exchange.status === 0);
    expect(failed.filter((exchange) => !['ECONNREFUSED', 'ECONNRESET'].includes(exchange.networkError ?? ''))).toEqual(
      [],
    );
    // A reset can only be a connection still in the listen queue when the listener closed (the kernel resets
    // those): the server never took the request in. Counted in the database, no write it took in went unanswered.
    const unanswered = exchanges.filter((exchange) => exchange.kind === 'write' && exchange.status !== 201);
    const committed = await cluster.sql<{ name: string }>('SELECT name FROM agents WHERE name = ANY($1::text[])', [
      unanswered.map((exchange) => exchange.name),
    ]);
    expect(committed).toEqual([]);
    const acknowledged = exchanges
      .filter((exchange) => exchange.kind === 'write' && exchange.status === 201)
      .map((exchange) => (exchange.body as { id: string }).id);
    expect(acknowledged.length).toBeGreaterThan(5);
    // The process is gone: what it acknowledged, and each change's audit row, must already be in the database.
    expect(await unrecordedChanges(cluster, PREFIX, acknowledged)).toEqual({
      changesWithoutRow: 0,
      acknowledgedWithoutRow: 0,
      acknowledgedMissing: 0,
    });
  }, 120_000);
});
