import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isSealedTotpSecret, openTotpSecret, sealTotpSecret } from '../src/auth/mfa/totp-secret.crypto';
import { appConfig, secretsConfig } from '../src/config';
import { loadMasterKeyring } from '../src/secrets/keyring/master-keyring.provider';

interface TotpRow {
  id: string;
  totp_secret: string | null;
  totp_pending_secret: string | null;
}

/**
 * TOTP secrets were plaintext columns: seals every one under the master
 * keyring (the user id as associated data). down() opens them again.
 */
export class EncryptTotpSecrets1796000000003 implements MigrationInterface {
  name = 'EncryptTotpSecrets1796000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    const keyring = await loadMasterKeyring(appConfig(), secretsConfig());
    await this.each(queryRunner, (row, value) =>
      isSealedTotpSecret(value) ? value : sealTotpSecret(keyring, row.id, value),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const keyring = await loadMasterKeyring(appConfig(), secretsConfig());
    await this.each(queryRunner, (row, value) => {
      if (!isSealedTotpSecret(value)) return value;
      const secret = openTotpSecret(keyring, row.id, value);
      if (secret === undefined) throw new Error(`the TOTP secret of user ${row.id} does not open with this keyring`);
      return secret;
    });
  }

  private async each(queryRunner: QueryRunner, convert: (row: TotpRow, value: string) => string): Promise<void> {
    const rows = (await queryRunner.query(
      `SELECT id, totp_secret, totp_pending_secret FROM users
        WHERE totp_secret IS NOT NULL OR totp_pending_secret IS NOT NULL`,
    )) as TotpRow[];
    for (const row of rows) {
      await queryRunner.query(`UPDATE users SET totp_secret = $2, totp_pending_secret = $3 WHERE id = $1`, [
        row.id,
        row.totp_secret === null ? null : convert(row, row.totp_secret),
        row.totp_pending_secret === null ? null : convert(row, row.totp_pending_secret),
      ]);
    }
  }
}
