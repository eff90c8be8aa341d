import { join } from 'node:path';
import { type FactoryProvider, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { readOrCreateDataDirSecret } from '../common/data-dir/data-dir-secret.util';
import { apiKeysConfig, appConfig } from '../config';

export const API_KEY_PEPPER = Symbol('API_KEY_PEPPER');

/**
 * The server-side key mixed into every stored key hash, so a copy of the
 * database alone cannot be used to test guesses. API_KEY_PEPPER when set
 * (required with DATABASE_URL); on the embedded default, generated into DATA_DIR.
 */
export const apiKeyPepperProvider: FactoryProvider<Promise<string>> = {
  provide: API_KEY_PEPPER,
  inject: [appConfig.KEY, apiKeysConfig.KEY],
  useFactory: async (app: ConfigType<typeof appConfig>, config: ConfigType<typeof apiKeysConfig>) => {
    if (config.pepper) return config.pepper;
    const { value, created } = await readOrCreateDataDirSecret(app.dataDir, 'api-key-pepper');
    if (created) {
      new Logger('ApiKeys').warn(
        `API_KEY_PEPPER is not set: generated one in ${join(app.dataDir, 'api-key-pepper')} (development default)`,
      );
    }
    return value;
  },
};
