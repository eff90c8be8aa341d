import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** One worker's series, as its registry serialises them for aggregation. */
type WorkerMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

const SCRAPE_REQUEST = 'sentinel:cluster-metrics-request';
const SCRAPE_ANSWER = 'sentinel:cluster-metrics-answer';
const COLLECT_REQUEST = 'sentinel:worker-metrics-request';
const COLLECT_ANSWER = 'sentinel:worker-metrics-answer';
const COLLECT_TIMEOUT_MS = 3_000;
// Longer than the primary's wait for its workers, so its answer (or error) arrives first.
const SCRAPE_TIMEOUT_MS = COLLECT_TIMEOUT_MS + 1_000;

interface Message {
  type: string;
  id: number;
}

interface ScrapeAnswer extends Message {
  text?: string;
  error?: string;
}

interface CollectAnswer extends Message {
  metrics: WorkerMetrics;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the guard names what the message is
function isMessage<T extends Message>(message: unknown, type: string): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** True in a server process forked by the WORKERS primary (src/cluster/cluster-primary.ts). */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/**
 * A scrape reaches one worker of the port's several, so the primary sums
 * every worker's series (prom-client's aggregation) and one scrape sees the
 * whole instance, as with WORKERS=1.
 */
export class ClusterMetricsClient {
  private nextId = 0;
  private readonly pending = new Map<number, (answer: ScrapeAnswer) => void>();

  constructor(registry: Registry) {
    process.on('message', (message: unknown) => {
      if (isMessage<Message>(message, COLLECT_REQUEST)) {
        void registry.getMetricsAsJSON().then((metrics) => {
          process.send?.({ type: COLLECT_ANSWER, id: message.id, metrics } satisfies CollectAnswer);
        });
      } else if (isMessage<ScrapeAnswer>(message, SCRAPE_ANSWER)) {
        this.pending.get(message.id)?.(message);
        this.pending.delete(message.id);
      }
    });
  }

  render(): Promise<string> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('the primary did not answer with the cluster metrics'));
      }, SCRAPE_TIMEOUT_MS);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(answer.error ?? 'the primary could not collect the cluster metrics'));
      });
      process.send?.({ type: SCRAPE_REQUEST, id } satisfies Message);
    });
  }
}

/**
 * The primary's side. Only workers that listen are asked: one still starting
 * has no registry to answer with, and must not make the scrape wait or fail.
 */
export function serveClusterMetrics(listening: () => readonly Worker[]): void {
  let nextId = 0;
  const collections = new Map<number, (metrics: WorkerMetrics) => void>();
  cluster.on('message', (worker, message: unknown) => {
    if (isMessage<CollectAnswer>(message, COLLECT_ANSWER)) {
      collections.get(message.id)?.(message.metrics);
      collections.delete(message.id);
      return;
    }
    if (!isMessage<Message>(message, SCRAPE_REQUEST)) return;
    const answer = (fields: Omit<ScrapeAnswer, 'type' | 'id'>): void => {
      if (worker.isConnected()) worker.send({ type: SCRAPE_ANSWER, id: message.id, ...fields } satisfies ScrapeAnswer);
    };
    const collect = (from: Worker): Promise<WorkerMetrics> => {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          collections.delete(id);
          reject(new Error(`worker ${from.process.pid} did not answer with its metrics`));
        }, COLLECT_TIMEOUT_MS);
        collections.set(id, (metrics) => {
          clearTimeout(timer);
          resolve(metrics);
        });
        from.send({ type: COLLECT_REQUEST, id } satisfies Message);
      });
    };
    Promise.all(listening().map(collect))
      .then(async (perWorker) => {
        answer({ text: await AggregatorRegistry.aggregate(perWorker).metrics() });
      })
      .catch((error: unknown) => {
        answer({ error: error instanceof Error ? error.message : String(error) });
      });
  });
}
