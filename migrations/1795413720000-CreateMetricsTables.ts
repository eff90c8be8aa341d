import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMetricsTables1795413720000 implements MigrationInterface {
  name = 'CreateMetricsTables1795413720000';

  // Append-only and range-partitioned by month on the time the record was taken; the app keeps the current
  // and next month's partitions ready and drops whole partitions past METRICS_RETENTION_DAYS. No primary
  // key: rows are only ever aggregated, never addressed one by one.
  async up(queryRunner: QueryRunner): Promise<void> {
    // One sampled HTTP request. `weight` is how many requests the row stands for (1 / sample rate, or 1 for
    // errors and slow requests, which are always kept), so counts and percentiles are estimated without bias.
    await queryRunner.query(`
      CREATE TABLE http_request_metrics (
        recorded_at timestamptz NOT NULL,
        method text NOT NULL,
        route text NOT NULL,
        status_code smallint NOT NULL,
        duration_ms double precision NOT NULL,
        weight real NOT NULL
      ) PARTITION BY RANGE (recorded_at)`);
    await queryRunner.query(
      `CREATE INDEX http_request_metrics_recorded_brin ON http_request_metrics USING brin (recorded_at)`,
    );

    // Every agent run, as the tracked code path reported it (started_at is the agent's own clock).
    await queryRunner.query(`
      CREATE TABLE agent_run_metrics (
        recorded_at timestamptz NOT NULL,
        agent_id uuid NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms double precision NOT NULL,
        findings integer NOT NULL,
        success boolean NOT NULL
      ) PARTITION BY RANGE (recorded_at)`);
    await queryRunner.query(`CREATE INDEX agent_run_metrics_agent_idx ON agent_run_metrics (agent_id, started_at)`);
    await queryRunner.query(`CREATE INDEX agent_run_metrics_started_idx ON agent_run_metrics (started_at)`);

    // Every call to a paid external API, tracked in code or reported by an agent.
    await queryRunner.query(`
      CREATE TABLE external_api_call_metrics (
        recorded_at timestamptz NOT NULL,
        api text NOT NULL,
        duration_ms double precision NOT NULL,
        status_code integer,
        success boolean NOT NULL,
        cost numeric(18, 6) NOT NULL
      ) PARTITION BY RANGE (recorded_at)`);
    await queryRunner.query(
      `CREATE INDEX external_api_call_metrics_recorded_idx ON external_api_call_metrics (recorded_at, api)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE external_api_call_metrics`);
    await queryRunner.query(`DROP TABLE agent_run_metrics`);
    await queryRunner.query(`DROP TABLE http_request_metrics`);
  }
}
