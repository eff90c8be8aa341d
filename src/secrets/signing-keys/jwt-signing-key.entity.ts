import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ManagedJwtAlgorithm } from '../../config/tokens.config';

/** A JWT signing key pair: the private half sealed by the master keyring, the public half as a JWK. */
@Entity({ name: 'jwt_signing_keys' })
export class JwtSigningKey {
  @PrimaryColumn({ type: 'text' })
  kid!: string;

  @Column({ type: 'text' })
  algorithm!: ManagedJwtAlgorithm;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: Record<string, string>;

  @Column({ name: 'private_key_sealed', type: 'bytea' })
  privateKeySealed!: Buffer;

  @Column({ name: 'master_key_id', type: 'text' })
  masterKeyId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When it stopped signing; null for the one key that signs. */
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;

  /** Tokens it signed are accepted, and it is published, until then. */
  @Column({ name: 'verify_until', type: 'timestamptz', nullable: true })
  verifyUntil!: Date | null;
}
