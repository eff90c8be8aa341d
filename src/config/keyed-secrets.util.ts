import { ConfigValidationError } from './config-validation.util';

/** One HMAC key of a keyring and the id stored beside what it hashed or signed. */
export interface KeyedSecret {
  id: string;
  value: string;
}

const MIN_LENGTH = 32;
const LIST_ENTRY = /^([A-Za-z0-9_-]{1,32}):(.*)$/s;

/**
 * Reads a keyring variable: one value (today's form, under `implicitId`) or
 * `id:value,id:value`, newest first. A value is a list when it starts with an
 * id and a colon; a single value of that shape must be written `<implicitId>:<value>`.
 */
export function parseKeyedSecrets(variable: string, raw: string | undefined, implicitId: string): KeyedSecret[] {
  if (raw === undefined || raw === '') return [];
  const keys = LIST_ENTRY.test(raw)
    ? raw.split(',').map((entry) => listEntry(variable, entry.trim()))
    : [{ id: implicitId, value: raw }];
  for (const key of keys) {
    if (key.value.length < MIN_LENGTH) {
      throw new ConfigValidationError(variable, `key ${key.id} must be at least ${MIN_LENGTH} characters`);
    }
  }
  if (new Set(keys.map((key) => key.id)).size !== keys.length) {
    throw new ConfigValidationError(variable, 'names a key id twice');
  }
  return keys;
}

function listEntry(variable: string, entry: string): KeyedSecret {
  const match = LIST_ENTRY.exec(entry);
  if (!match) throw new ConfigValidationError(variable, 'must be one value or id:value pairs separated by commas');
  return { id: match[1], value: match[2] };
}
