import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export type LockedRun<T> = { acquired: true; result: T } | { acquired: false };

/**
 * Cluster-wide mutual exclusion on PostgreSQL advisory locks, so that with N
 * instances a scheduled job runs on exactly one of them per tick.
 */
@Injectable()
export class AdvisoryLockService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `fn` only if this instance takes the lock named `name`; an instance
   * that finds it held skips the run instead of waiting. The lock belongs to
   * one pooled connection, held for the duration of `fn`.
   */
  async withAdvisoryLock<T>(name: string, fn: () => Promise<T>): Promise<LockedRun<T>> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [
        name,
      ])) as [{ locked: boolean }];
      if (!locked) return { acquired: false };
      try {
        return { acquired: true, result: await fn() };
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]);
      }
    } finally {
      await runner.release();
    }
  }
}
