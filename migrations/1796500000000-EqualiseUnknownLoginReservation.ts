import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LOGIN_ATTEMPT_RESERVE_V1 } from './1795910000000-AddLoginAttemptReservations';

/**
 * A login for a username that does not exist used to reserve nothing, so its reservation
 * committed without writing: no WAL flush to wait for, where a real account's reservation
 * waits for one. On a server with a slow flush (the embedded default) that made unknown
 * usernames measurably faster to refuse (0.84x). Such attempts are now counted per client
 * (login_unknown_attempts), so both commits write and wait alike.
 */
export class EqualiseUnknownLoginReservation1796500000000 implements MigrationInterface {
  name = 'EqualiseUnknownLoginReservation1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE login_unknown_attempts (
        client_ip text PRIMARY KEY,
        attempts integer NOT NULL,
        last_attempt_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION login_attempt_reserve(
        p_user_id uuid, p_username text, p_ip text, p_now timestamptz,
        p_max_client integer, p_max_account integer, p_reset_ms bigint
      ) RETURNS TABLE (user_id uuid, granted boolean, busy boolean) LANGUAGE plpgsql AS $$
      DECLARE
        u users%ROWTYPE;
        f login_failures%ROWTYPE;
        reset interval := make_interval(secs => p_reset_ms / 1000.0);
        ok boolean;
      BEGIN
        IF p_user_id IS NOT NULL THEN
          SELECT * INTO u FROM users WHERE id = p_user_id FOR UPDATE;
        ELSE
          SELECT * INTO u FROM users WHERE lower(username) = lower(p_username) FOR UPDATE;
        END IF;
        IF NOT FOUND THEN
          -- No such user: count it for the client, so this commit writes and waits for the WAL
          -- flush as a real account's reservation does; a commit with nothing to flush is faster
          -- and would tell the client which usernames exist.
          INSERT INTO login_unknown_attempts AS a (client_ip, attempts, last_attempt_at) VALUES (p_ip, 1, p_now)
          ON CONFLICT (client_ip) DO UPDATE
             SET attempts = CASE WHEN a.last_attempt_at + reset <= p_now THEN 1 ELSE a.attempts + 1 END,
                 last_attempt_at = p_now;
          RETURN;
        END IF;
        IF greatest(u.last_login_attempt_at, u.locked_until) + reset <= p_now THEN
          u.failed_login_attempts := 0; u.login_attempts_in_flight := 0; u.lockouts := 0; u.locked_until := NULL;
        ELSIF u.locked_until <= p_now THEN
          u.failed_login_attempts := 0; u.locked_until := NULL;
        END IF;
        INSERT INTO login_failures (user_id, client_ip) VALUES (u.id, p_ip) ON CONFLICT DO NOTHING;
        SELECT * INTO f FROM login_failures WHERE login_failures.user_id = u.id AND client_ip = p_ip FOR UPDATE;
        IF greatest(f.last_attempt_at, f.locked_until) + reset <= p_now THEN
          f.failures := 0; f.in_flight := 0; f.lockouts := 0; f.locked_until := NULL;
        ELSIF f.locked_until <= p_now THEN
          f.failures := 0; f.locked_until := NULL;
        END IF;
        ok := u.locked_until IS NULL AND f.locked_until IS NULL
          AND f.failures + f.in_flight < p_max_client
          AND u.failed_login_attempts + u.login_attempts_in_flight < p_max_account;
        UPDATE users SET
               failed_login_attempts = u.failed_login_attempts,
               login_attempts_in_flight = u.login_attempts_in_flight + ok::integer,
               lockouts = u.lockouts, locked_until = u.locked_until,
               last_login_attempt_at = CASE WHEN ok THEN p_now ELSE u.last_login_attempt_at END
         WHERE id = u.id;
        UPDATE login_failures SET
               failures = f.failures, in_flight = f.in_flight + ok::integer, lockouts = f.lockouts,
               locked_until = f.locked_until,
               last_attempt_at = CASE WHEN ok THEN p_now ELSE f.last_attempt_at END
         WHERE login_failures.user_id = u.id AND client_ip = p_ip;
        -- Refused with no lock in force: only attempts still in flight fill the room; they may yet succeed.
        RETURN QUERY SELECT u.id, ok, NOT ok AND u.locked_until IS NULL AND f.locked_until IS NULL;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(LOGIN_ATTEMPT_RESERVE_V1.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    await queryRunner.query('DROP TABLE login_unknown_attempts');
  }
}
