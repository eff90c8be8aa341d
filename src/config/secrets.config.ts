import { registerAs } from '@nestjs/config';
import { IsBoolean, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ConfigValidationError, validateEnvironment } from './config-validation.util';
import { ToBoolean, ToInteger } from './env-transform.util';

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY = /^[A-Za-z0-9+/]{43}=$/;
const KEYRING = /^\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=\s*(,\s*[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=\s*)*$/;

class SecretsEnvironment {
  /** `newest-id:base64,older-id:base64`: the first key wraps new data keys, every listed key still unwraps. */
  @IsOptional()
  @Matches(KEYRING, { message: 'must be id:base64 pairs separated by commas (ids [A-Za-z0-9_-], 32-byte keys)' })
  SECRETS_MASTER_KEYS?: string;

  /** One master key (32 bytes, base64), for setups that never rotate it; SECRETS_MASTER_KEYS wins. */
  @IsOptional()
  @Matches(KEY, { message: 'must be 32 bytes in base64 (openssl rand -base64 32)' })
  SECRETS_MASTER_KEY?: string;

  @Matches(KEY_ID, { message: 'must be 1 to 32 characters of [A-Za-z0-9_-]' })
  SECRETS_MASTER_KEY_ID = 'k1';

  @ToInteger()
  @IsInt(range(1, 1000))
  @Min(1, range(1, 1000))
  @Max(1000, range(1, 1000))
  SECRETS_MAX_VERSIONS = 10;

  /** Every write must carry `cas`, not only those to secrets that ask for it. */
  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  SECRETS_CAS_REQUIRED = false;

  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  SECURITY_SECRETS_ROTATION = true;

  @ToInteger()
  @IsInt(range(1, 3650))
  @Min(1, range(1, 3650))
  @Max(3650, range(1, 3650))
  SECURITY_KEY_ROTATION_INTERVAL_DAYS = 30;

  /** `secret.expiring` is published this many days before a secret's next rotation. */
  @ToInteger()
  @IsInt(range(0, 365))
  @Min(0, range(0, 365))
  @Max(365, range(0, 365))
  SECRETS_EXPIRY_WARNING_DAYS = 7;
}

export interface MasterKeyMaterial {
  id: string;
  key: Buffer;
}

export const secretsConfig = registerAs('secrets', () => {
  const env = validateEnvironment(SecretsEnvironment, process.env);
  const masterKeys = parseKeyring(env);
  // Instances sharing a database must share the keyring; only the embedded default may generate one.
  if (masterKeys.length === 0 && (process.env.DATABASE_URL || process.env.NODE_ENV === 'production')) {
    throw new ConfigValidationError(
      'SECRETS_MASTER_KEYS',
      'or SECRETS_MASTER_KEY is required in production and when DATABASE_URL is set (32 bytes, base64, with a key id)',
    );
  }
  return {
    /** Newest first; empty on the embedded default, where one is generated into DATA_DIR. */
    masterKeys,
    maxVersions: env.SECRETS_MAX_VERSIONS,
    casRequired: env.SECRETS_CAS_REQUIRED,
    rotationEnabled: env.SECURITY_SECRETS_ROTATION,
    defaultRotationIntervalDays: env.SECURITY_KEY_ROTATION_INTERVAL_DAYS,
    expiryWarningDays: env.SECRETS_EXPIRY_WARNING_DAYS,
  };
});

function parseKeyring(env: SecretsEnvironment): MasterKeyMaterial[] {
  if (env.SECRETS_MASTER_KEYS) {
    const keys = env.SECRETS_MASTER_KEYS.split(',').map((entry) => {
      const [id, key] = entry.trim().split(':');
      return { id, key: Buffer.from(key, 'base64') };
    });
    if (new Set(keys.map((key) => key.id)).size !== keys.length) {
      throw new ConfigValidationError('SECRETS_MASTER_KEYS', 'names a key id twice');
    }
    return keys;
  }
  if (env.SECRETS_MASTER_KEY)
    return [{ id: env.SECRETS_MASTER_KEY_ID, key: Buffer.from(env.SECRETS_MASTER_KEY, 'base64') }];
  return [];
}
