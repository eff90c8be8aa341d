import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { BackupType } from '../engine/backup-manifest';

export const BACKUP_STATUSES = ['running', 'completed', 'failed', 'expired'] as const;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];

/** What verification found; never a key or a row of data. */
export interface BackupVerification {
  ok: boolean;
  checksum: boolean;
  decrypted: boolean;
  rowCounts: boolean;
  /** Present when the backup was also restored into a scratch database and compared table by table. */
  restoreTest?: { ok: boolean; tables: number; mismatched: string[] };
  error?: string;
}

/** The watermark an incremental child starts from: the snapshot the backup saw. */
export interface BackupWatermark {
  snapshot: string;
}

const bigintAsNumber = {
  to: (value: number | null) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

@Entity({ name: 'backups' })
export class BackupRecord {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  type!: BackupType;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @Column({ type: 'text' })
  status!: BackupStatus;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'snapshot_at', type: 'timestamptz', nullable: true })
  snapshotAt!: Date | null;

  @Column({ name: 'size_bytes', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  sizeBytes!: number | null;

  @Column({ type: 'text', nullable: true })
  sha256!: string | null;

  @Column({ name: 'row_counts', type: 'jsonb', nullable: true })
  rowCounts!: Record<string, number> | null;

  @Column({ type: 'jsonb', nullable: true })
  watermark!: BackupWatermark | null;

  @Column({ type: 'boolean' })
  compressed!: boolean;

  @Column({ type: 'boolean' })
  encrypted!: boolean;

  @Column({ name: 'key_id', type: 'text', nullable: true })
  keyId!: string | null;

  @Column({ type: 'text' })
  storage!: 'disk' | 's3';

  @Column({ type: 'text' })
  location!: string;

  @Column({ name: 'schema_version', type: 'text', nullable: true })
  schemaVersion!: string | null;

  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt!: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  verification!: BackupVerification | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;
}
