import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const SECRET_TYPES = ['api_key', 'password', 'token', 'signing_key', 'generic'] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

/** A named secret's metadata and its data key, wrapped by a master key; values live in secret_versions. */
@Entity({ name: 'secrets' })
export class Secret {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  type!: SecretType;

  @Column({ name: 'current_version', type: 'integer' })
  currentVersion!: number;

  @Column({ name: 'encryption_algorithm', type: 'text' })
  encryptionAlgorithm!: string;

  @Column({ name: 'rotation_interval_days', type: 'integer' })
  rotationIntervalDays!: number;

  @Column({ name: 'last_rotated_at', type: 'timestamptz', nullable: true })
  lastRotatedAt!: Date | null;

  @Column({ name: 'next_rotation_at', type: 'timestamptz', nullable: true })
  nextRotationAt!: Date | null;

  @Column({ name: 'is_active', type: 'boolean' })
  isActive!: boolean;

  @Column({ name: 'cas_required', type: 'boolean' })
  casRequired!: boolean;

  @Column({ type: 'jsonb' })
  metadata!: Record<string, string>;

  @Column({ name: 'data_key_wrapped', type: 'bytea' })
  dataKeyWrapped!: Buffer;

  @Column({ name: 'master_key_id', type: 'text' })
  masterKeyId!: string;

  @Column({ name: 'expiring_notified_at', type: 'timestamptz', nullable: true })
  expiringNotifiedAt!: Date | null;

  @Column({ name: 'overdue_notified_at', type: 'timestamptz', nullable: true })
  overdueNotifiedAt!: Date | null;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
