import { Inject, Injectable, Logger } from '@nestjs/common';
import { MASTER_KEYRING, type MasterKeyring } from '../../secrets/keyring/master-keyring';
import { openTotpSecret, sealTotpSecret } from './totp-secret.crypto';

/** TOTP secrets at rest: sealed under the master keyring with the user id as associated data. */
@Injectable()
export class TotpSecretCipher {
  private readonly logger = new Logger('Mfa');

  constructor(@Inject(MASTER_KEYRING) private readonly keyring: MasterKeyring) {}

  seal(userId: string, secret: string): string {
    return sealTotpSecret(this.keyring, userId, secret);
  }

  /** The secret; undefined (no code matches) when the stored value does not open. */
  open(userId: string, stored: string): string | undefined {
    const secret = openTotpSecret(this.keyring, userId, stored);
    if (secret === undefined) {
      this.logger.error(
        `the TOTP secret of user ${userId} does not open: altered, or its master key is not in the keyring`,
      );
    }
    return secret;
  }
}
