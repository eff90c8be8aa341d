import { apiKeysConfig } from './api-keys.config';
import { appConfig } from './app.config';
import { auditConfig } from './audit.config';
import { authConfig } from './auth.config';
import { databaseConfig } from './database.config';
import { loggingConfig } from './logging.config';
import { metricsConfig } from './metrics.config';

export { apiKeysConfig, appConfig, auditConfig, authConfig, databaseConfig, loggingConfig, metricsConfig };
export { ConfigValidationError } from './config-validation.util';

/** Every namespace, loaded by ConfigModule and checked eagerly by main.ts before Nest starts. */
export const configNamespaces = [
  appConfig,
  databaseConfig,
  loggingConfig,
  authConfig,
  apiKeysConfig,
  auditConfig,
  metricsConfig,
];

/** Runs every namespace's validation; throws ConfigValidationError on the first bad variable. */
export function assertValidConfiguration(): void {
  for (const namespace of configNamespaces) namespace();
}
