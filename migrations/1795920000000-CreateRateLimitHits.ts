import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRateLimitHits1795920000000 implements MigrationInterface {
  name = 'CreateRateLimitHits1795920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Rate-limit counters shared by every instance when no Redis is configured: one row per limit key and
    // fixed window, bumped by one upsert per request. UNLOGGED: no WAL for a counter that is worthless after
    // a crash (PostgreSQL empties it then, which only resets the current minute's counts).
    await queryRunner.query(`
      CREATE UNLOGGED TABLE rate_limit_hits (
        key text NOT NULL,
        window_start timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        hits integer NOT NULL,
        PRIMARY KEY (key, window_start)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE rate_limit_hits`);
  }
}
