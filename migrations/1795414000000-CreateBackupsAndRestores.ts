import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateBackupsAndRestores1795414000000 implements MigrationInterface {
  name = 'CreateBackupsAndRestores1795414000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The backup catalogue (the seed's metadata). Not itself backed up: it describes the backups.
    await queryRunner.query(`
      CREATE TABLE backups (
        id uuid PRIMARY KEY,
        type text NOT NULL CHECK (type IN ('full', 'incremental')),
        parent_id uuid REFERENCES backups (id),
        status text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'expired')),
        description text,
        started_at timestamptz NOT NULL,
        completed_at timestamptz,
        snapshot_at timestamptz,
        size_bytes bigint,
        sha256 text,
        row_counts jsonb,
        watermark jsonb,
        compressed boolean NOT NULL,
        encrypted boolean NOT NULL,
        key_id text,
        storage text NOT NULL CHECK (storage IN ('disk', 's3')),
        location text NOT NULL,
        schema_version text,
        verified_at timestamptz,
        verification jsonb,
        error text,
        created_by text NOT NULL,
        CHECK ((type = 'full') = (parent_id IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX backups_started_idx ON backups (started_at DESC)`);
    await queryRunner.query(`CREATE INDEX backups_parent_idx ON backups (parent_id)`);
    await queryRunner.query(`
      CREATE TABLE restores (
        id uuid PRIMARY KEY,
        backup_id uuid NOT NULL REFERENCES backups (id),
        status text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
        dry_run boolean NOT NULL,
        point_in_time timestamptz,
        tables text[],
        replace_audit_trail boolean NOT NULL DEFAULT false,
        started_at timestamptz NOT NULL,
        completed_at timestamptz,
        progress jsonb NOT NULL,
        report jsonb,
        error text,
        cancel_requested boolean NOT NULL DEFAULT false,
        requested_by text NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX restores_started_idx ON restores (started_at DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE restores`);
    await queryRunner.query(`DROP TABLE backups`);
  }
}
