import { join } from 'node:path';
import { type FactoryProvider, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { readOrCreateDataDirSecret } from '../common/data-dir/data-dir-secret.util';
import { HmacKeyring } from '../common/keyring/hmac-keyring';
import { appConfig, auditConfig } from '../config';
import { IMPLICIT_CHAIN_KEY_ID } from '../config/audit.config';

export const AUDIT_CHAIN_KEYS = Symbol('AUDIT_CHAIN_KEYS');

/**
 * AUDIT_CHAIN_KEY when set (required with DATABASE_URL), newest first: the newest chains new
 * records and signs the head, every listed one verifies what it signed. On the embedded default,
 * one key generated into DATA_DIR.
 */
export const auditChainKeyProvider: FactoryProvider<Promise<HmacKeyring>> = {
  provide: AUDIT_CHAIN_KEYS,
  inject: [appConfig.KEY, auditConfig.KEY],
  useFactory: async (app: ConfigType<typeof appConfig>, config: ConfigType<typeof auditConfig>) => {
    if (config.chainKeys.length > 0) return new HmacKeyring(config.chainKeys);
    const { value, created } = await readOrCreateDataDirSecret(app.dataDir, 'audit-chain-key');
    if (created) {
      new Logger('Audit').warn(
        `AUDIT_CHAIN_KEY is not set: generated one in ${join(app.dataDir, 'audit-chain-key')} (development default)`,
      );
    }
    return new HmacKeyring([{ id: IMPLICIT_CHAIN_KEY_ID, value }]);
  },
};
