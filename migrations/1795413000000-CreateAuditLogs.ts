import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuditLogs1795413000000 implements MigrationInterface {
  name = 'CreateAuditLogs1795413000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Range-partitioned by month; the app keeps the current and next month's partitions ready.
    await queryRunner.query(`
      CREATE TABLE audit_logs (
        id bigint NOT NULL,
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
        metadata jsonb,
        trace_id text,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        PRIMARY KEY (id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    await queryRunner.query(`CREATE SEQUENCE audit_logs_id_seq AS bigint`);
    await queryRunner.query(`CREATE INDEX audit_logs_created_brin ON audit_logs USING brin (created_at)`);
    await queryRunner.query(`CREATE INDEX audit_logs_user_idx ON audit_logs (user_id, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_logs_username_idx ON audit_logs (lower(username), id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_logs_action_idx ON audit_logs (action_type, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_logs_resource_idx ON audit_logs (resource_type, resource_id, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_logs_trace_idx ON audit_logs (trace_id)`);

    // The newest link of the hash chain: a row deleted from the end of the log is caught against it.
    await queryRunner.query(`
      CREATE TABLE audit_chain_head (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        last_id bigint NOT NULL,
        last_hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_chain_head`);
    await queryRunner.query(`DROP TABLE audit_logs`);
    await queryRunner.query(`DROP SEQUENCE audit_logs_id_seq`);
  }
}
