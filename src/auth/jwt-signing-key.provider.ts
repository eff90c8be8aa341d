import { join } from 'node:path';
import type { FactoryProvider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Logger } from '@nestjs/common';
import { readOrCreateDataDirSecret } from '../common/data-dir/data-dir-secret.util';
import { appConfig, authConfig } from '../config';

export const JWT_SIGNING_KEY = Symbol('JWT_SIGNING_KEY');

/**
 * JWT_SECRET when set (required with DATABASE_URL, see auth.config.ts);
 * otherwise, on the embedded single-process default, a key generated once
 * and kept in DATA_DIR so sessions survive restarts.
 */
export const jwtSigningKeyProvider: FactoryProvider<Promise<string>> = {
  provide: JWT_SIGNING_KEY,
  inject: [appConfig.KEY, authConfig.KEY],
  useFactory: async (app: ConfigType<typeof appConfig>, auth: ConfigType<typeof authConfig>) => {
    if (auth.jwtSecret) return auth.jwtSecret;
    const { value, created } = await readOrCreateDataDirSecret(app.dataDir, 'jwt-secret');
    if (created) {
      new Logger('Auth').warn(
        `JWT_SECRET is not set: generated a signing key in ${join(app.dataDir, 'jwt-secret')} (development default)`,
      );
    }
    return value;
  },
};
