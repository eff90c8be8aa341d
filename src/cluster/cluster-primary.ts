import cluster, { type Worker } from 'node:cluster';
import { EmbeddedPostgresServer } from '../database/embedded/embedded-postgres.server';
import { serveClusterMetrics } from './cluster-metrics';

export interface ClusterOptions {
  workers: number;
  /** Where the embedded default keeps its data; used only when DATABASE_URL is not set. */
  dataDir: string;
  embeddedPort: number;
  databaseUrl?: string;
  shutdownTimeoutMs: number;
}

/** The primary hands its workers the embedded server it started, so they do not each start one. */
export const EMBEDDED_DATABASE_URL = 'SENTINEL_EMBEDDED_DATABASE_URL';

const RESPAWN_FIRST_DELAY_MS = 1_000;
const RESPAWN_MAX_DELAY_MS = 30_000;
/** A worker that lived this long was healthy: the next crash starts the backoff over. */
const HEALTHY_LIFETIME_MS = 60_000;

function say(line: string): void {
  process.stdout.write(`${new Date().toISOString()} [Cluster] ${line}\n`);
}

/**
 * WORKERS > 1: this process only supervises. It starts the embedded database
 * once (when DATABASE_URL is not set), forks the workers that share the port
 * (each an ordinary stateless instance: every piece of shared state is in
 * PostgreSQL or Redis), restarts one that dies, sums their metrics for a
 * scrape, and on SIGTERM/SIGINT stops them all gracefully before the database.
 */
export async function runClusterPrimary(options: ClusterOptions): Promise<void> {
  const embedded = options.databaseUrl
    ? undefined
    : new EmbeddedPostgresServer({
        dataDir: options.dataDir,
        port: options.embeddedPort,
        log: say,
        serverOutput: () => undefined,
      });
  const workerEnv: Record<string, string> = embedded ? { [EMBEDDED_DATABASE_URL]: (await embedded.start()).app } : {};
  const supervisor = new WorkerSupervisor(workerEnv, options.workers);
  serveClusterMetrics(() => supervisor.listening());
  stopOnSignal(supervisor, options.shutdownTimeoutMs, embedded);

  // The first worker runs the migrations and creates DATA_DIR's generated keys alone, and
  // a failure there (configuration, database) is the start's failure; the others find both
  // done, and one of them that dies is replaced like any later crash.
  await supervisor.startFirst().catch(async (error: unknown) => {
    await embedded?.stop();
    throw error;
  });
  supervisor.startRest();
}

function stopOnSignal(supervisor: WorkerSupervisor, timeoutMs: number, embedded?: EmbeddedPostgresServer): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void supervisor
        .stopAll(timeoutMs)
        .then(async (clean) => {
          await embedded?.stop();
          process.exit(clean ? 0 : 1);
        })
        .catch((error: unknown) => {
          process.stderr.write(`Cluster shutdown failed: ${String(error)}\n`);
          process.exit(1);
        });
    });
  }
}

class WorkerSupervisor {
  private stopping = false;
  private respawnDelayMs = RESPAWN_FIRST_DELAY_MS;
  private readonly listeningWorkers = new Set<Worker>();
  private everyoneListened = false;

  constructor(
    private readonly env: Record<string, string>,
    private readonly count: number,
  ) {}

  startFirst(): Promise<void> {
    const worker = this.fork();
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => {
        reject(new Error(`worker ${worker.process.pid} exited with ${code} before listening`));
      };
      worker.once('exit', onExit);
      worker.once('listening', () => {
        worker.off('exit', onExit);
        resolve();
      });
    });
  }

  startRest(): void {
    say(`first worker listening; starting ${this.count - 1} more`);
    for (let index = 1; index < this.count; index += 1) this.fork();
  }

  listening(): readonly Worker[] {
    return [...this.listeningWorkers].filter((worker) => worker.isConnected());
  }

  /** Resolves true when every worker exited with 0 within the timeout (the rest are killed). */
  async stopAll(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    say(`stopping ${workers.length} workers`);
    const exits = workers.map((worker) => exitCodeOf(worker, timeoutMs));
    for (const worker of workers) worker.process.kill('SIGTERM');
    const codes = await Promise.all(exits);
    return codes.every((code) => code === 0);
  }

  private fork(): Worker {
    const worker = cluster.fork(this.env);
    const startedAt = Date.now();
    worker.once('listening', () => {
      this.listeningWorkers.add(worker);
      if (this.everyoneListened) say(`replacement worker ${worker.process.pid} listening`);
      else if (this.listeningWorkers.size === this.count) {
        this.everyoneListened = true;
        say(`${this.count} workers listening`);
      }
    });
    worker.once('exit', (code, signal) => {
      this.listeningWorkers.delete(worker);
      if (!this.stopping) this.replace(worker, code, signal, Date.now() - startedAt);
    });
    return worker;
  }

  private replace(dead: Worker, code: number | null, signal: string | null, livedMs: number): void {
    if (livedMs > HEALTHY_LIFETIME_MS) this.respawnDelayMs = RESPAWN_FIRST_DELAY_MS;
    const delay = this.respawnDelayMs;
    this.respawnDelayMs = Math.min(this.respawnDelayMs * 2, RESPAWN_MAX_DELAY_MS);
    say(`worker ${dead.process.pid} exited (code ${code}, signal ${signal}); starting another in ${delay} ms`);
    setTimeout(() => {
      if (!this.stopping) this.fork();
    }, delay);
  }
}

function exitCodeOf(worker: Worker, timeoutMs: number): Promise<number | null> {
  if (worker.isDead()) return Promise.resolve(worker.process.exitCode);
  return new Promise((resolve) => {
    // A worker enforces SHUTDOWN_TIMEOUT_MS itself; this only catches one that hangs past it.
    const killer = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs + 2_000);
    worker.once('exit', (code) => {
      clearTimeout(killer);
      resolve(code);
    });
  });
}
