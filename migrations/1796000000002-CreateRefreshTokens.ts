import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rotating refresh tokens, one chain per session: each use spends the token
 * and issues the next; a spent token presented again revokes the session.
 * Only a SHA-256 of each token's secret is stored.
 */
export class CreateRefreshTokens1796000000002 implements MigrationInterface {
  name = 'CreateRefreshTokens1796000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        secret_hash bytea NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE refresh_tokens`);
  }
}
