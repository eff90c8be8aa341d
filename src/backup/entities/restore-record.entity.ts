import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RestoreProgress, TableReport } from '../engine/restore-engine';

export const RESTORE_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export type RestoreStatus = (typeof RESTORE_STATUSES)[number];

@Entity({ name: 'restores' })
export class RestoreRecord {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'backup_id', type: 'uuid' })
  backupId!: string;

  @Column({ type: 'text' })
  status!: RestoreStatus;

  @Column({ name: 'dry_run', type: 'boolean' })
  dryRun!: boolean;

  @Column({ name: 'point_in_time', type: 'timestamptz', nullable: true })
  pointInTime!: Date | null;

  @Column({ type: 'text', array: true, nullable: true })
  tables!: string[] | null;

  @Column({ name: 'replace_audit_trail', type: 'boolean', default: false })
  replaceAuditTrail!: boolean;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ type: 'jsonb' })
  progress!: RestoreProgress;

  @Column({ type: 'jsonb', nullable: true })
  report!: TableReport[] | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'cancel_requested', type: 'boolean', default: false })
  cancelRequested!: boolean;

  @Column({ name: 'requested_by', type: 'text' })
  requestedBy!: string;
}
