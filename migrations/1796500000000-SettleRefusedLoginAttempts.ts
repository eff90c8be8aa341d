import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A login refused before any password check (no such user, or a lock in
 * force) settles too, as a checked one does with login_attempt_settle: one more
 * round trip that writes one row in the request's transaction. Without it a
 * wrong password on a real account cost a statement more than an unknown or a
 * locked one (login_attempt_settle: 1.4-1.6 ms from Node in the test suite's
 * logins of about 37 ms), a difference a patient client can average out to
 * learn which usernames exist or are locked. This statement takes 1.1-1.3 ms.
 * The row written is the one its reservation just wrote: the client's
 * login_unknown_attempts row, or the account's login_failures row for the client.
 */
export class SettleRefusedLoginAttempts1796500000000 implements MigrationInterface {
  name = 'SettleRefusedLoginAttempts1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE login_unknown_attempts ADD COLUMN last_refused_at timestamptz`);
    await queryRunner.query(`ALTER TABLE login_failures ADD COLUMN last_refused_at timestamptz`);
    await queryRunner.query(`
      CREATE FUNCTION login_attempt_refuse(p_user_id uuid, p_ip text, p_now timestamptz)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF p_user_id IS NULL THEN
          UPDATE login_unknown_attempts SET last_refused_at = p_now WHERE client_ip = p_ip;
        ELSE
          UPDATE login_failures SET last_refused_at = p_now WHERE user_id = p_user_id AND client_ip = p_ip;
        END IF;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION login_attempt_refuse(uuid, text, timestamptz)`);
    await queryRunner.query(`ALTER TABLE login_failures DROP COLUMN last_refused_at`);
    await queryRunner.query(`ALTER TABLE login_unknown_attempts DROP COLUMN last_refused_at`);
  }
}
