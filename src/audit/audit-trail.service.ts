import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { auditConfig } from '../config';
import type { AppendQueue, AppendQueueStats } from '../database/append-store/append-queue';
import { AppendStore } from '../database/append-store/append-store.service';
import { postgresErrorCode } from '../database/postgres-errors.util';
import type { TransactionScope } from '../database/transactions/transaction-scope';
import { Transactions } from '../database/transactions/transactions.service';
import { AuditChainer } from './audit-chainer.service';
import { type AuditEntry, storableAuditEntry, SYSTEM_ACTOR } from './audit-entry';
import { AuditOutboxStore } from './audit-outbox.store';

const STAGED = Symbol('audit rows staged in this transaction');
const FLUSH_INTERVAL_MS = 20;
const RETRY_DELAY_MS = 500;

export interface SystemAction {
  action: string;
  resourceType?: string;
  resourceId?: string;
  details?: Record<string, unknown>;
  success?: boolean;
  errorMessage?: string;
}

export interface AuditTrailHealth {
  ready: boolean;
  problem?: string;
}

/**
 * How every audit record reaches the outbox. Inside a transaction a record
 * is staged and inserted with the COMMIT, in its round trip, so the change
 * and its record commit together or not at all. Outside one (reads, refusals, jobs) it goes
 * through a batched queue: anonymous records may be dropped (counted) under a
 * flood, an authenticated caller's never are: their queue makes callers wait
 * for room instead, and readiness turns 503 while it is full.
 */
@Injectable()
export class AuditTrail implements OnApplicationShutdown {
  private readonly anonymous: AppendQueue<AuditEntry>;
  private readonly kept: AppendQueue<AuditEntry>;
  /** Rows AUDIT_FAIL_MODE=open let go when they could not be written with their change. */
  private lostCount = 0;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    store: AppendStore,
    private readonly outbox: AuditOutboxStore,
    private readonly chainer: AuditChainer,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {
    const insert = async (entries: readonly AuditEntry[]): Promise<void> => {
      await this.outbox.insert(dataSource.manager, entries);
      this.chainer.kick();
    };
    const options = {
      bufferMax: config.bufferMax,
      batchMax: config.batchMax,
      flushIntervalMs: FLUSH_INTERVAL_MS,
      retryDelayMs: RETRY_DELAY_MS,
    };
    this.anonymous = store.createQueue(
      { name: 'audit_anonymous', insert, placeholder: unstorablePlaceholder },
      { ...options, whenFull: 'drop-oldest' },
    );
    this.kept = store.createQueue(
      { name: 'audit_kept', insert, placeholder: unstorablePlaceholder },
      { ...options, whenFull: 'wait' },
    );
  }

  /**
   * Records within the open transaction when there is one (written just
   * before it commits); outside one, resolves once the row is written.
   */
  async record(entry: AuditEntry): Promise<void> {
    const scope = this.transactions.current;
    if (scope) this.stage(scope, storableAuditEntry(entry));
    else await this.kept.append(storableAuditEntry(entry));
  }

  /** Queues the record of a request outside any transaction: anonymous ones may be dropped under a flood. */
  async recordRequest(entry: AuditEntry): Promise<void> {
    const queue = entry.userId === null && entry.apiKeyId === null ? this.anonymous : this.kept;
    await queue.push(storableAuditEntry(entry));
  }

  /** An action of the service itself (a job, a reaction to an event), recorded with the actor `system`. */
  recordSystemAction(action: SystemAction): Promise<void> {
    return this.record({
      createdAt: this.clock.now(),
      userId: null,
      username: SYSTEM_ACTOR,
      sessionId: null,
      apiKeyId: null,
      actionType: action.action,
      resourceType: action.resourceType ?? null,
      resourceId: action.resourceId ?? null,
      actionDetails: action.details ?? null,
      ipAddress: null,
      userAgent: null,
      requestMethod: null,
      requestPath: null,
      responseStatus: null,
      executionTimeMs: null,
      success: action.success ?? true,
      allowed: null,
      errorMessage: action.errorMessage ?? null,
      errorCode: null,
      metadata: null,
      traceId: null,
    });
  }

  /** Writes and chains everything recorded so far (tests, shutdown); stops early while the database is away. */
  async flush(): Promise<void> {
    await Promise.all([this.anonymous.flush(), this.kept.flush()]);
    await this.chainer.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.anonymous.close(), this.kept.close()]);
    await this.chainer.drain();
  }

  get health(): AuditTrailHealth {
    if (this.kept.saturated) return { ready: false, problem: 'the audit queue is full or cannot be written' };
    if (this.chainer.failing) return { ready: false, problem: 'audit records cannot be chained' };
    return { ready: true };
  }

  get stats(): { anonymous: AppendQueueStats; kept: AppendQueueStats; lost: number } {
    return { anonymous: this.anonymous.stats, kept: this.kept.stats, lost: this.lostCount };
  }

  private stage(scope: TransactionScope, entry: AuditEntry): void {
    const staged = scope.resource(STAGED, () => {
      const entries: AuditEntry[] = [];
      if (this.config.failMode === 'closed') scope.onCommitSend(() => this.outbox.insertStatement(entries));
      else scope.onBeforeCommit(() => this.insertOrLose(scope, entries));
      scope.onAfterCommit(() => {
        this.chainer.kick();
      });
      return entries;
    });
    staged.push(entry);
  }

  /** AUDIT_FAIL_MODE=open: the change commits even if its rows cannot be written; the loss is counted. */
  private async insertOrLose(scope: TransactionScope, entries: AuditEntry[]): Promise<void> {
    try {
      await scope.manager.query('SAVEPOINT audit_rows');
      await this.outbox.insert(scope.manager, entries);
      await scope.manager.query('RELEASE SAVEPOINT audit_rows');
    } catch {
      this.lostCount += entries.length;
      await scope.manager.query('ROLLBACK TO SAVEPOINT audit_rows').catch(() => undefined);
    }
  }
}

/**
 * Stands in for a record the database refused even alone: the fact that
 * something was recorded, when and for whom, and a hash of what was refused,
 * so the evidence is not silently lost and never blocks the records behind it.
 */
function unstorablePlaceholder(entry: AuditEntry, error: unknown): AuditEntry {
  const original = createHash('sha256').update(JSON.stringify(entry)).digest('hex');
  return {
    ...entry,
    actionType: 'audit.unstorable-record',
    resourceType: null,
    resourceId: null,
    actionDetails: { originalSha256: original, sqlState: postgresErrorCode(error) ?? null },
    userAgent: null,
    requestPath: null,
    errorMessage: null,
    metadata: null,
  };
}
