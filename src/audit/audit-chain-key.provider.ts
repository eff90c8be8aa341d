import { join } from 'node:path';
import { type FactoryProvider, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { readOrCreateDataDirSecret } from '../common/data-dir/data-dir-secret.util';
import { appConfig, auditConfig } from '../config';

export const AUDIT_CHAIN_KEY = Symbol('AUDIT_CHAIN_KEY');

/** AUDIT_CHAIN_KEY when set (required with DATABASE_URL); on the embedded default, generated into DATA_DIR. */
export const auditChainKeyProvider: FactoryProvider<Promise<string>> = {
  provide: AUDIT_CHAIN_KEY,
  inject: [appConfig.KEY, auditConfig.KEY],
  useFactory: async (app: ConfigType<typeof appConfig>, config: ConfigType<typeof auditConfig>) => {
    if (config.chainKey) return config.chainKey;
    const { value, created } = await readOrCreateDataDirSecret(app.dataDir, 'audit-chain-key');
    if (created) {
      new Logger('Audit').warn(
        `AUDIT_CHAIN_KEY is not set: generated one in ${join(app.dataDir, 'audit-chain-key')} (development default)`,
      );
    }
    return value;
  },
};
