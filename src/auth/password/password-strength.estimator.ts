import { Worker } from 'node:worker_threads';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';

export interface StrengthEstimate {
  score: number;
  warning: string | null;
  suggestions: string[];
}

/**
 * zxcvbn-ts in a worker thread of its own: its cost grows steeply with a
 * password's length (a 1024-character one held the event loop for seconds),
 * and no request may stall every other one. The worker is plain JavaScript
 * evaluated from this string, loading the packages resolved here, so it runs
 * the same from sources and from the build.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { ZxcvbnFactory } = require(workerData.core);
const common = require(workerData.common);
const english = require(workerData.english);
const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});
parentPort.on('message', ({ id, password, hints }) => {
  const result = estimator.check(password, hints);
  parentPort.postMessage({
    id,
    score: result.score,
    warning: result.feedback.warning || null,
    suggestions: result.feedback.suggestions,
  });
});
`;

/**
 * A worker with nothing to do stops after this long: its dictionaries hold
 * about 50 MB of memory for good otherwise, and passwords are set rarely.
 * Starting one again costs about half a second, once per quiet spell.
 */
export const IDLE_STOP_MS = 15_000;

/**
 * The worker's young generation, far below V8's default: building the
 * dictionaries leaves tens of megabytes of garbage that a large young
 * generation keeps resident. Measured here: the worker adds 53 MB of RSS at
 * 2 MB against 81 MB by default, and a 1024-character estimate takes 2.26 s
 * instead of 2.06 s (on the worker's thread, not the event loop).
 */
const WORKER_YOUNG_GENERATION_MB = 2;

interface Pending {
  resolve: (estimate: StrengthEstimate) => void;
  reject: (error: Error) => void;
}

@Injectable()
export class PasswordStrengthEstimator implements OnModuleDestroy {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private idleStop?: NodeJS.Timeout;

  estimate(password: string, hints: string[]): Promise<StrengthEstimate> {
    clearTimeout(this.idleStop);
    const worker = this.started();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, password, hints });
    });
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.idleStop);
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      workerData: {
        core: require.resolve('@zxcvbn-ts/core'),
        common: require.resolve('@zxcvbn-ts/language-common'),
        english: require.resolve('@zxcvbn-ts/language-en'),
      },
    });
    worker.on('message', (message: StrengthEstimate & { id: number }) => {
      const { id, ...estimate } = message;
      this.pending.get(id)?.resolve(estimate);
      this.pending.delete(id);
      if (this.pending.size === 0) this.stopWhenIdle(worker);
    });
    // A worker that dies fails what it was asked (no request waits forever); the next estimate starts a new one.
    worker.on('error', () => {
      this.forget(worker);
    });
    worker.on('exit', () => {
      this.forget(worker);
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private stopWhenIdle(worker: Worker): void {
    clearTimeout(this.idleStop);
    this.idleStop = setTimeout(() => {
      if (this.worker !== worker || this.pending.size > 0) return;
      this.worker = undefined;
      void worker.terminate();
    }, IDLE_STOP_MS).unref();
  }

  private forget(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const { reject } of this.pending.values()) reject(new Error('the password strength worker stopped'));
    this.pending.clear();
  }
}
