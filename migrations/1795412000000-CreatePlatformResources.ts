import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePlatformResources1795412000000 implements MigrationInterface {
  name = 'CreatePlatformResources1795412000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        description text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
        config jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX agents_name_lower_key ON agents (lower(name))`);

    await queryRunner.query(`
      CREATE TABLE agent_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL CHECK (duration_ms >= 0),
        findings integer NOT NULL DEFAULT 0 CHECK (findings >= 0),
        success boolean NOT NULL,
        error text,
        recorded_by uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX agent_runs_agent_started_idx ON agent_runs (agent_id, started_at DESC)`);

    await queryRunner.query(`
      CREATE TABLE code_proposals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        description text,
        diff text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
        author_id uuid REFERENCES users (id) ON DELETE SET NULL,
        decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
        decided_at timestamptz,
        decision_comment text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX code_proposals_status_created_idx ON code_proposals (status, created_at DESC)`,
    );

    await queryRunner.query(`
      CREATE TABLE api_toggles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        description text,
        enabled boolean NOT NULL DEFAULT false,
        cost_per_call numeric(12, 6) NOT NULL DEFAULT 0 CHECK (cost_per_call >= 0),
        updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX api_toggles_name_lower_key ON api_toggles (lower(name))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_toggles`);
    await queryRunner.query(`DROP TABLE code_proposals`);
    await queryRunner.query(`DROP TABLE agent_runs`);
    await queryRunner.query(`DROP TABLE agents`);
  }
}
