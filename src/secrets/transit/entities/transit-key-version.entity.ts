import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One version of a transit key: 32 bytes, wrapped by a master key. */
@Entity({ name: 'transit_key_versions' })
export class TransitKeyVersion {
  @PrimaryColumn({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ name: 'wrapped_key', type: 'bytea' })
  wrappedKey!: Buffer;

  @Column({ name: 'master_key_id', type: 'text' })
  masterKeyId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
