import { Injectable } from '@nestjs/common';
import { AppendQueue, type AppendQueueOptions, type AppendQueueStats, type AppendTarget } from './append-queue';

/**
 * The one way append-only rows (audit outbox, stored logs, metric records,
 * security events) are written: every module gets its queues here, so they
 * all behave alike and /metrics can show every queue's depth and losses.
 */
@Injectable()
export class AppendStore {
  private readonly queues: AppendQueue<never>[] = [];

  createQueue<Row>(target: AppendTarget<Row>, options: AppendQueueOptions): AppendQueue<Row> {
    const queue = new AppendQueue(target, options);
    this.queues.push(queue as AppendQueue<never>);
    return queue;
  }

  stats(): { name: string; stats: AppendQueueStats }[] {
    return this.queues.map((queue) => ({ name: queue.name, stats: queue.stats }));
  }
}
