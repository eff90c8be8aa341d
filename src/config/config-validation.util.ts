import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** Thrown at boot when an environment variable is missing or malformed. */
export class ConfigValidationError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigValidationError';
  }
}

/** Variables whose value must never be echoed back, even in an error. */
const SENSITIVE_VARIABLE = /SECRET|PASSWORD|TOKEN|KEY|URL/;

/**
 * Validates the variables one namespace declares and returns them typed, with
 * the class's defaults for those left unset. Empty strings count as unset, so
 * `PORT=` in a .env file means "use the default", not "port zero".
 */
export function validateEnvironment<T extends object>(schema: ClassConstructor<T>, env: NodeJS.ProcessEnv): T {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const instance = plainToInstance(schema, present, { exposeDefaultValues: true });
  const errors = validateSync(instance, { skipMissingProperties: false });
  if (errors.length > 0) {
    throw toConfigError(errors[0], env);
  }
  return instance;
}

function toConfigError(error: ValidationError, env: NodeJS.ProcessEnv): ConfigValidationError {
  const variable = error.property;
  const reasons = new Set(
    Object.values(error.constraints ?? {}).map((reason) => reason.replace(new RegExp(`^${variable} `), '')),
  );
  const raw = env[variable];
  const shown =
    raw === undefined || raw === ''
      ? ' (not set)'
      : SENSITIVE_VARIABLE.test(variable)
        ? ''
        : ` (got ${JSON.stringify(raw)})`;
  return new ConfigValidationError(variable, `${[...reasons].join(', ')}${shown}`);
}
