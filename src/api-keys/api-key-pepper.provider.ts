import { join } from 'node:path';
import { type FactoryProvider, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { readOrCreateDataDirSecret } from '../common/data-dir/data-dir-secret.util';
import { HmacKeyring } from '../common/keyring/hmac-keyring';
import { apiKeysConfig, appConfig } from '../config';
import { IMPLICIT_PEPPER_ID } from '../config/api-keys.config';

export const API_KEY_PEPPERS = Symbol('API_KEY_PEPPERS');

/**
 * The server-side keys mixed into every stored key hash, so a copy of the
 * database alone cannot be used to test guesses. API_KEY_PEPPER when set
 * (required with DATABASE_URL), newest first, each row naming the one that
 * hashed it; on the embedded default, one generated into DATA_DIR.
 */
export const apiKeyPepperProvider: FactoryProvider<Promise<HmacKeyring>> = {
  provide: API_KEY_PEPPERS,
  inject: [appConfig.KEY, apiKeysConfig.KEY],
  useFactory: async (app: ConfigType<typeof appConfig>, config: ConfigType<typeof apiKeysConfig>) => {
    if (config.peppers.length > 0) return new HmacKeyring(config.peppers);
    const { value, created } = await readOrCreateDataDirSecret(app.dataDir, 'api-key-pepper');
    if (created) {
      new Logger('ApiKeys').warn(
        `API_KEY_PEPPER is not set: generated one in ${join(app.dataDir, 'api-key-pepper')} (development default)`,
      );
    }
    return new HmacKeyring([{ id: IMPLICIT_PEPPER_ID, value }]);
  },
};
