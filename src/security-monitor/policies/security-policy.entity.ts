import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { PolicyConfig } from './policy-config';
import type { PolicyType } from './policy-types';

/** The seed's security_policies: one rule, its window and its responses. */
@Entity({ name: 'security_policies' })
export class SecurityPolicy {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'policy_name', type: 'text' })
  name!: string;

  @Column({ name: 'policy_type', type: 'text' })
  type!: PolicyType;

  @Column({ name: 'policy_config', type: 'jsonb' })
  config!: PolicyConfig;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  active!: boolean;

  /** Records what it would do, and does nothing. */
  @Column({ type: 'boolean', default: false })
  simulation!: boolean;

  @Column({ type: 'integer', default: 0 })
  priority!: number;

  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
