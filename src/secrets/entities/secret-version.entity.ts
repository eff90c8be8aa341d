import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export const SECRET_VERSION_ORIGINS = ['create', 'write', 'rotate', 'schedule'] as const;
export type SecretVersionOrigin = (typeof SECRET_VERSION_ORIGINS)[number];

/** One version's value, sealed with its secret's data key; null once destroyed. */
@Entity({ name: 'secret_versions' })
export class SecretVersion {
  @PrimaryColumn({ name: 'secret_id', type: 'uuid' })
  secretId!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ type: 'bytea', nullable: true })
  ciphertext!: Buffer | null;

  @Column({ type: 'text' })
  origin!: SecretVersionOrigin;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  @Column({ name: 'destroyed_at', type: 'timestamptz', nullable: true })
  destroyedAt!: Date | null;
}
