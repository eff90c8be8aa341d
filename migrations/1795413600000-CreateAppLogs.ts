import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAppLogs1795413600000 implements MigrationInterface {
  name = 'CreateAppLogs1795413600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE app_logs_id_seq AS bigint`);
    // Range-partitioned by month: the app keeps the current and next month's partitions ready,
    // and retention (LOG_RETENTION_DAYS) drops whole partitions.
    await queryRunner.query(`
      CREATE TABLE app_logs (
        id bigint NOT NULL DEFAULT nextval('app_logs_id_seq'),
        created_at timestamptz NOT NULL,
        level text NOT NULL CHECK (level IN ('critical', 'error', 'warning', 'info', 'debug')),
        message text NOT NULL,
        module text,
        trace_id text,
        context jsonb,
        PRIMARY KEY (id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    await queryRunner.query(`ALTER SEQUENCE app_logs_id_seq OWNED BY app_logs.id`);
    // Reads are newest first, optionally narrowed to a module or one request's trace.
    await queryRunner.query(`CREATE INDEX app_logs_created_idx ON app_logs (created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX app_logs_module_idx ON app_logs (module, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX app_logs_trace_idx ON app_logs (trace_id) WHERE trace_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The sequence is owned by the column and goes with the table.
    await queryRunner.query(`DROP TABLE app_logs`);
  }
}
