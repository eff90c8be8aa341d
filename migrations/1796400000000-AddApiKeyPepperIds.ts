import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each stored key hash names the API_KEY_PEPPER entry that made it, so the
 * pepper can rotate without invalidating keys. Rows from before hashed under
 * the one pepper there was, whose implicit id is p0; the default stays, so an
 * instance still running the previous version during a rolling upgrade writes
 * rows that say the same.
 */
export class AddApiKeyPepperIds1796400000000 implements MigrationInterface {
  name = 'AddApiKeyPepperIds1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_keys
        ADD COLUMN pepper_id text NOT NULL DEFAULT 'p0',
        ADD COLUMN previous_secret_pepper_id text`);
    await queryRunner.query(
      `UPDATE api_keys SET previous_secret_pepper_id = 'p0' WHERE previous_secret_hash IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN pepper_id, DROP COLUMN previous_secret_pepper_id`);
  }
}
