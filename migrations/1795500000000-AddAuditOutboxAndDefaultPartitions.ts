import type { MigrationInterface, QueryRunner } from 'typeorm';

const PARTITIONED_TABLES = [
  'audit_logs',
  'app_logs',
  'http_request_metrics',
  'agent_run_metrics',
  'external_api_call_metrics',
];

export class AddAuditOutboxAndDefaultPartitions1795500000000 implements MigrationInterface {
  name = 'AddAuditOutboxAndDefaultPartitions1795500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A row whose month has no partition yet (a clock behind, a restore, an import) lands here instead of being
    // refused; partition upkeep moves such rows into their month's partition.
    for (const table of PARTITIONED_TABLES) {
      await queryRunner.query(`CREATE TABLE ${table}_default PARTITION OF ${table} DEFAULT`);
    }
    await queryRunner.query(`ALTER TABLE audit_logs ADD COLUMN error_code text`);
    // Audit records are written here, in the transaction of the change they record, with no lock on the
    // chain; one chainer at a time moves committed rows into audit_logs and links them.
    await queryRunner.query(`
      CREATE TABLE audit_outbox (
        outbox_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz NOT NULL,
        user_id uuid,
        username text,
        session_id uuid,
        api_key_id uuid,
        action_type text NOT NULL,
        resource_type text,
        resource_id text,
        action_details jsonb,
        ip_address inet,
        user_agent text,
        request_method text,
        request_path text,
        response_status integer,
        execution_time_ms integer,
        success boolean NOT NULL,
        allowed boolean,
        error_message text,
        error_code text,
        metadata jsonb,
        trace_id text
      )`);
    // The head is signed with how many records the chain has ever held, so deleting the newest rows and
    // rewinding the head is caught; signature and count are filled in by the app, which holds the key.
    await queryRunner.query(`ALTER TABLE audit_chain_head ADD COLUMN row_count bigint, ADD COLUMN signature text`);
    // Written by retention when it drops partitions: where the kept chain starts, so that deleting old rows
    // outside retention is caught too.
    await queryRunner.query(`
      CREATE TABLE audit_chain_checkpoints (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        first_kept_id bigint NOT NULL,
        first_kept_prev_hash text NOT NULL,
        rows_dropped bigint NOT NULL,
        signature text NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_chain_checkpoints`);
    await queryRunner.query(`ALTER TABLE audit_chain_head DROP COLUMN row_count, DROP COLUMN signature`);
    await queryRunner.query(`DROP TABLE audit_outbox`);
    await queryRunner.query(`ALTER TABLE audit_logs DROP COLUMN error_code`);
    for (const table of PARTITIONED_TABLES) await queryRunner.query(`DROP TABLE ${table}_default`);
  }
}
