import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1795412600000 implements MigrationInterface {
  name = 'CreateApiKeys1795412600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        public_id text NOT NULL UNIQUE CHECK (public_id ~ '^[0-9a-f]{16}$'),
        secret_hash text NOT NULL,
        previous_secret_hash text,
        previous_secret_valid_until timestamptz,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        permissions text[],
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
        rotated_at timestamptz,
        last_used_at timestamptz,
        last_used_ip inet,
        use_count bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_owner_idx ON api_keys (owner_id, created_at DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
