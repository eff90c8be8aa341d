import { join } from 'node:path';
import { type FactoryProvider, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { readOrCreateDataDirKey } from '../../common/data-dir/data-dir-secret.util';
import { appConfig, secretsConfig } from '../../config';
import { MASTER_KEYRING, MasterKeyring } from './master-keyring';

const KEY_FILE = 'secrets-master-key';
/** The key id of the generated development key. */
export const DEV_MASTER_KEY_ID = 'dev';

/**
 * SECRETS_MASTER_KEYS (or SECRETS_MASTER_KEY with SECRETS_MASTER_KEY_ID);
 * required in production and with DATABASE_URL. On the embedded default only,
 * one key is generated once into DATA_DIR (created with 'wx', fsynced).
 */
export const masterKeyringProvider: FactoryProvider<Promise<MasterKeyring>> = {
  provide: MASTER_KEYRING,
  inject: [appConfig.KEY, secretsConfig.KEY],
  useFactory: loadMasterKeyring,
};

/** The keyring from configuration, or the embedded default's generated key; also used by migrations. */
export async function loadMasterKeyring(
  app: ConfigType<typeof appConfig>,
  config: ConfigType<typeof secretsConfig>,
): Promise<MasterKeyring> {
  if (config.masterKeys.length > 0) return new MasterKeyring(config.masterKeys);
  const { key, created } = await readOrCreateDataDirKey(app.dataDir, KEY_FILE, 32);
  if (created) {
    new Logger('Secrets').warn(
      `SECRETS_MASTER_KEYS is not set: generated a master key in ${join(app.dataDir, KEY_FILE)} ` +
        `(key id "${DEV_MASTER_KEY_ID}"). EVERY SECRET, TRANSIT KEY AND TOTP SECRET NEEDS IT: ` +
        'copy it somewhere safe, apart from the database, and set SECRETS_MASTER_KEYS in production.',
    );
  }
  return new MasterKeyring([{ id: DEV_MASTER_KEY_ID, key }]);
}
