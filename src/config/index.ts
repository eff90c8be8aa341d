import { apiKeysConfig } from './api-keys.config';
import { appConfig } from './app.config';
import { auditConfig } from './audit.config';
import { authConfig } from './auth.config';
import { backupConfig } from './backup.config';
import { databaseConfig } from './database.config';
import { loggingConfig } from './logging.config';
import { metricsConfig } from './metrics.config';
import { secretsConfig } from './secrets.config';
import { securityMonitorConfig } from './security-monitor.config';
import { tokensConfig } from './tokens.config';

export {
  apiKeysConfig,
  appConfig,
  auditConfig,
  authConfig,
  backupConfig,
  databaseConfig,
  loggingConfig,
  metricsConfig,
  secretsConfig,
  securityMonitorConfig,
  tokensConfig,
};
import { ConfigValidationError } from './config-validation.util';
import { loadEnvFile } from './env-file';

export { ConfigValidationError };

/** Every namespace, loaded by ConfigModule and checked eagerly by main.ts before Nest starts. */
export const configNamespaces = [
  appConfig,
  databaseConfig,
  loggingConfig,
  authConfig,
  apiKeysConfig,
  auditConfig,
  metricsConfig,
  backupConfig,
  securityMonitorConfig,
  secretsConfig,
  tokensConfig,
];

/** Runs every namespace's validation; throws ConfigValidationError on the first bad variable. */
export function assertValidConfiguration(): void {
  for (const namespace of configNamespaces) namespace();
}

/**
 * For entry points (the server, the migration CLI): reads `.env`, then stops the
 * process with one line naming the first bad variable, before any module starts.
 */
export function loadConfigurationOrExit(): void {
  loadEnvFile();
  try {
    assertValidConfiguration();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
