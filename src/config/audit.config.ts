import { registerAs } from '@nestjs/config';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigValidationError, validateEnvironment } from './config-validation.util';
import { ToBoolean, ToInteger } from './env-transform.util';
import { parseKeyedSecrets } from './keyed-secrets.util';

/** The id of a chain key given as one value, and of every record, head and checkpoint from before keys had ids. */
export const IMPLICIT_CHAIN_KEY_ID = 'c0';

export const AUDIT_FAIL_MODES = ['closed', 'open'] as const;
export type AuditFailMode = (typeof AUDIT_FAIL_MODES)[number];

const range = (min: number, max: number) => ({ message: `must be an integer between ${min} and ${max}` });

class AuditEnvironment {
  @ToBoolean()
  @IsBoolean({ message: 'must be true or false' })
  AUDIT_ENABLED = true;

  @IsIn(AUDIT_FAIL_MODES, { message: `must be one of ${AUDIT_FAIL_MODES.join(', ')}` })
  AUDIT_FAIL_MODE: AuditFailMode = 'closed';

  /** One key, or `newest-id:value,older-id:value`: the first chains new records, every listed one verifies. */
  @IsOptional()
  @IsString()
  AUDIT_CHAIN_KEY?: string;

  @ToInteger()
  @IsInt(range(1, 36500))
  @Min(1, range(1, 36500))
  @Max(36500, range(1, 36500))
  SECURITY_AUDIT_RETENTION_DAYS = 2555;

  @ToInteger()
  @IsInt(range(100, 1_000_000))
  @Min(100, range(100, 1_000_000))
  @Max(1_000_000, range(100, 1_000_000))
  AUDIT_BUFFER_MAX = 10_000;

  @ToInteger()
  @IsInt(range(1, 5000))
  @Min(1, range(1, 5000))
  @Max(5000, range(1, 5000))
  AUDIT_BATCH_MAX = 500;
}

export const auditConfig = registerAs('audit', () => {
  const env = validateEnvironment(AuditEnvironment, process.env);
  if (env.AUDIT_CHAIN_KEY === undefined && process.env.DATABASE_URL) {
    throw new ConfigValidationError('AUDIT_CHAIN_KEY', 'is required when DATABASE_URL is set (at least 32 characters)');
  }
  return {
    enabled: env.AUDIT_ENABLED,
    failMode: env.AUDIT_FAIL_MODE,
    /** Newest first; empty on the embedded default, where one is generated into DATA_DIR. */
    chainKeys: parseKeyedSecrets('AUDIT_CHAIN_KEY', env.AUDIT_CHAIN_KEY, IMPLICIT_CHAIN_KEY_ID),
    retentionDays: env.SECURITY_AUDIT_RETENTION_DAYS,
    bufferMax: env.AUDIT_BUFFER_MAX,
    batchMax: env.AUDIT_BATCH_MAX,
  };
});
