import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobRuns1795700000000 implements MigrationInterface {
  name = 'CreateJobRuns1795700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per scheduled job and tick, claimed by the first instance to reach it: an instance whose clock
    // is late, or that starts late, finds the tick taken and does not run the job a second time.
    await queryRunner.query(`
      CREATE TABLE job_runs (
        job text NOT NULL,
        tick timestamptz NOT NULL,
        instance text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        outcome text CHECK (outcome IN ('succeeded', 'failed')),
        PRIMARY KEY (job, tick)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE job_runs`);
  }
}
