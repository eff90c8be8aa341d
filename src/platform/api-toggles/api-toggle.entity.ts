import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A paid external API the platform may call, switched on or off, with its price per call. */
@Entity({ name: 'api_toggles' })
export class ApiToggle {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'boolean', default: false })
  enabled!: boolean;

  /** numeric(12,6) comes back from pg as a string, exact; it is converted only for display. */
  @Column({ name: 'cost_per_call', type: 'numeric', precision: 12, scale: 6, default: 0 })
  costPerCall!: string;

  @Column({ name: 'updated_by', type: 'uuid', nullable: true })
  updatedBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
