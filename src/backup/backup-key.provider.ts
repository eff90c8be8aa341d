import { join } from 'node:path';
import { type FactoryProvider, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { readOrCreateDataDirKey } from '../common/data-dir/data-dir-secret.util';
import { appConfig, backupConfig, databaseConfig } from '../config';
import { type BackupKey, backupKeyId } from './format/backup-file-format';

export const BACKUP_KEY = Symbol('BACKUP_KEY');
const KEY_FILE = 'backup-encryption-key';

/**
 * BACKUP_ENCRYPTION_KEY when set (required with DATABASE_URL and encryption
 * on); on the embedded default, generated once into DATA_DIR. Undefined only
 * when encryption is off and no key exists, so older encrypted backups stay
 * readable after encryption is turned off.
 */
export const backupKeyProvider: FactoryProvider<Promise<BackupKey | undefined>> = {
  provide: BACKUP_KEY,
  inject: [appConfig.KEY, databaseConfig.KEY, backupConfig.KEY],
  useFactory: async (
    app: ConfigType<typeof appConfig>,
    database: ConfigType<typeof databaseConfig>,
    config: ConfigType<typeof backupConfig>,
  ) => {
    if (config.encryptionKey) return toKey(Buffer.from(config.encryptionKey, 'base64'));
    if (database.url || !config.encryption) return undefined;
    const { key, created } = await readOrCreateDataDirKey(app.dataDir, KEY_FILE, 32);
    if (created) {
      new Logger('Backup').warn(
        `BACKUP_ENCRYPTION_KEY is not set: generated one in ${join(app.dataDir, KEY_FILE)}. ` +
          'EVERY BACKUP NEEDS THIS KEY TO BE RESTORED: copy it somewhere safe, apart from the backups.',
      );
    }
    return toKey(key);
  },
};

function toKey(material: Buffer): BackupKey {
  return { id: backupKeyId(material), material };
}
