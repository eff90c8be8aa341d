import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The app's JWT signing key pairs: the private key sealed under the master
 * keyring, the public JWK in the clear for /.well-known/jwks.json. One key
 * signs at a time; retired keys verify until their last token has expired.
 */
export class CreateJwtSigningKeys1796000000001 implements MigrationInterface {
  name = 'CreateJwtSigningKeys1796000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE jwt_signing_keys (
        kid text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{8,64}$'),
        algorithm text NOT NULL CHECK (algorithm IN ('EdDSA', 'ES256')),
        public_jwk jsonb NOT NULL,
        private_key_sealed bytea NOT NULL,
        master_key_id text NOT NULL,
        created_at timestamptz NOT NULL,
        retired_at timestamptz,
        verify_until timestamptz
      )`);
    // At most one key signs.
    await queryRunner.query(
      `CREATE UNIQUE INDEX jwt_signing_keys_one_active ON jwt_signing_keys ((true)) WHERE retired_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE jwt_signing_keys`);
  }
}
