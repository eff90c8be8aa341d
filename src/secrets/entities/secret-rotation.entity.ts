import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ROTATION_TRIGGERS = ['manual', 'write', 'schedule'] as const;
export type RotationTrigger = (typeof ROTATION_TRIGGERS)[number];

/** One rotation of a secret: from which version to which, by whom (null: the schedule), when. */
@Entity({ name: 'secret_rotations' })
export class SecretRotation {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'secret_id', type: 'uuid' })
  secretId!: string;

  @Column({ name: 'from_version', type: 'integer', nullable: true })
  fromVersion!: number | null;

  @Column({ name: 'to_version', type: 'integer' })
  toVersion!: number;

  @Column({ type: 'text' })
  trigger!: RotationTrigger;

  @Column({ name: 'rotated_by', type: 'uuid', nullable: true })
  rotatedBy!: string | null;

  @Column({ name: 'rotated_at', type: 'timestamptz' })
  rotatedAt!: Date;
}
