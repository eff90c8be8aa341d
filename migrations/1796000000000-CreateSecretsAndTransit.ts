import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Versioned, envelope-encrypted secrets (the seed's security_secrets_metadata
 * columns), their rotation history, and transit keys. Only wrapped keys and
 * ciphertext are stored; the master keys never are.
 */
export class CreateSecretsAndTransit1796000000000 implements MigrationInterface {
  name = 'CreateSecretsAndTransit1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE secrets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE CHECK (length(name) <= 255),
        type text NOT NULL CHECK (type IN ('api_key', 'password', 'token', 'signing_key', 'generic')),
        current_version integer NOT NULL DEFAULT 0,
        encryption_algorithm text NOT NULL DEFAULT 'AES-256-GCM',
        rotation_interval_days integer NOT NULL CHECK (rotation_interval_days BETWEEN 1 AND 3650),
        last_rotated_at timestamptz,
        next_rotation_at timestamptz,
        is_active boolean NOT NULL DEFAULT true,
        cas_required boolean NOT NULL DEFAULT false,
        metadata jsonb NOT NULL DEFAULT '{}',
        data_key_wrapped bytea NOT NULL,
        master_key_id text NOT NULL,
        expiring_notified_at timestamptz,
        overdue_notified_at timestamptz,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX secrets_due_idx ON secrets (next_rotation_at) WHERE is_active`);
    await queryRunner.query(`
      CREATE TABLE secret_versions (
        secret_id uuid NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version >= 1),
        ciphertext bytea,
        origin text NOT NULL CHECK (origin IN ('create', 'write', 'rotate', 'schedule')),
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        destroyed_at timestamptz,
        PRIMARY KEY (secret_id, version),
        CHECK ((destroyed_at IS NULL) = (ciphertext IS NOT NULL))
      )`);
    await queryRunner.query(`
      CREATE TABLE secret_rotations (
        id bigserial PRIMARY KEY,
        secret_id uuid NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
        from_version integer,
        to_version integer NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('manual', 'write', 'schedule')),
        rotated_by uuid REFERENCES users (id) ON DELETE SET NULL,
        rotated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX secret_rotations_secret_idx ON secret_rotations (secret_id, rotated_at DESC)`,
    );
    await queryRunner.query(`
      CREATE TABLE transit_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,128}$'),
        latest_version integer NOT NULL DEFAULT 1,
        min_decryption_version integer NOT NULL DEFAULT 1 CHECK (min_decryption_version >= 1),
        deletion_allowed boolean NOT NULL DEFAULT false,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (min_decryption_version <= latest_version)
      )`);
    await queryRunner.query(`
      CREATE TABLE transit_key_versions (
        key_id uuid NOT NULL REFERENCES transit_keys (id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version >= 1),
        wrapped_key bytea NOT NULL,
        master_key_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (key_id, version)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE transit_key_versions`);
    await queryRunner.query(`DROP TABLE transit_keys`);
    await queryRunner.query(`DROP TABLE secret_rotations`);
    await queryRunner.query(`DROP TABLE secret_versions`);
    await queryRunner.query(`DROP TABLE secrets`);
  }
}
