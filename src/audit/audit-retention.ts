import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { auditConfig } from '../config';
import { PartitionMaintenanceService } from '../database/partition-maintenance.service';
import { HmacKeyring } from '../common/keyring/hmac-keyring';
import { AUDIT_CHAIN_KEYS } from './audit-chain-key.provider';
import { CHAIN_LOCK, readHead } from './audit-chainer.service';
import { AuditTrail } from './audit-trail.service';
import { type ChainCheckpoint, GENESIS_HASH, signChainCheckpoint } from './hash-chain';

export const AUDIT_TABLE = 'audit_logs';

/**
 * Audit retention: partitions wholly older than SECURITY_AUDIT_RETENTION_DAYS
 * are dropped (by the shared partition upkeep), with the chain lock held, and
 * a signed checkpoint records where the kept chain now starts and how many
 * rows went, so that deleting old rows any other way is still caught.
 */
@Injectable()
export class AuditRetention implements OnModuleInit {
  constructor(
    private readonly partitions: PartitionMaintenanceService,
    private readonly trail: AuditTrail,
    @Inject(AUDIT_CHAIN_KEYS) private readonly keys: HmacKeyring,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
  ) {}

  onModuleInit(): void {
    this.partitions.register({
      table: AUDIT_TABLE,
      timeColumn: 'created_at',
      retentionDays: this.config.retentionDays,
      dropLock: CHAIN_LOCK,
      afterDrop: (manager, droppedRows) => this.writeCheckpoint(manager, droppedRows),
      onDropped: (partitions) =>
        this.trail.recordSystemAction({
          action: 'audit.retention.dropped',
          resourceType: 'audit-partition',
          details: { partitions, retentionDays: this.config.retentionDays },
        }),
    });
  }

  private async writeCheckpoint(manager: EntityManager, droppedRows: bigint): Promise<void> {
    const previous = (
      await manager.query<{ rows_dropped: string }[]>(
        'SELECT rows_dropped::text FROM audit_chain_checkpoints ORDER BY id DESC LIMIT 1',
      )
    ).at(0);
    const first = (
      await manager.query<{ id: string; prev_hash: string }[]>(
        // By the bigint column: `ORDER BY id` would sort the text output column, putting 10 before 6.
        'SELECT id::text, prev_hash FROM audit_logs ORDER BY audit_logs.id LIMIT 1',
      )
    ).at(0);
    const head = await readHead(manager);
    const checkpoint: ChainCheckpoint = {
      // Nothing kept: the next record chained continues the head.
      firstKeptId: first?.id ?? (BigInt(head?.lastId ?? '0') + 1n).toString(),
      firstKeptPrevHash: first?.prev_hash ?? head?.lastHash ?? GENESIS_HASH,
      rowsDropped: (BigInt(previous?.rows_dropped ?? '0') + droppedRows).toString(),
      keyId: this.keys.current.id,
    };
    await manager.query(
      `INSERT INTO audit_chain_checkpoints (first_kept_id, first_kept_prev_hash, rows_dropped, signature, key_id)
       VALUES ($1, $2, $3, $4, $5)`,
      [
        checkpoint.firstKeptId,
        checkpoint.firstKeptPrevHash,
        checkpoint.rowsDropped,
        signChainCheckpoint(this.keys.current.value, checkpoint),
        checkpoint.keyId,
      ],
    );
  }
}
