import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../auth/entities/user.entity';
import type { Permission } from '../../rbac/permission';

/** An API key: its secret exists only as a peppered hash; the public id finds the row. */
@Entity({ name: 'api_keys' })
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'public_id', type: 'text' })
  publicId!: string;

  @Column({ name: 'secret_hash', type: 'text' })
  secretHash!: string;

  /** Which API_KEY_PEPPER entry hashed secret_hash. */
  @Column({ name: 'pepper_id', type: 'text' })
  pepperId!: string;

  /** After a rotation with a grace period, the old secret keeps working until previous_secret_valid_until. */
  @Column({ name: 'previous_secret_hash', type: 'text', nullable: true })
  previousSecretHash!: string | null;

  @Column({ name: 'previous_secret_pepper_id', type: 'text', nullable: true })
  previousSecretPepperId!: string | null;

  @Column({ name: 'previous_secret_valid_until', type: 'timestamptz', nullable: true })
  previousSecretValidUntil!: Date | null;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id' })
  owner?: User;

  /** null: the key may use whatever its owner may; otherwise only these (and only while the owner has them). */
  @Column({ type: 'text', array: true, nullable: true })
  permissions!: Permission[] | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'uuid', nullable: true })
  revokedBy!: string | null;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'last_used_ip', type: 'inet', nullable: true })
  lastUsedIp!: string | null;

  @Column({ name: 'use_count', type: 'bigint', default: 0 })
  useCount!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
