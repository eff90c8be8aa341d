import { ConfigValidationError } from './config-validation.util';
import { secretsConfig } from './secrets.config';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

describe('secretsConfig', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  function load(env: Record<string, string | undefined>): ReturnType<typeof secretsConfig> {
    process.env = { PATH: saved.PATH, ...env };
    return secretsConfig();
  }

  it('reads a keyring newest first, or one key with its id', () => {
    const ring = load({ SECRETS_MASTER_KEYS: `k2:${KEY_B}, k1:${KEY_A}` });
    expect(ring.masterKeys.map((entry) => entry.id)).toEqual(['k2', 'k1']);
    expect(ring.masterKeys[0].key).toEqual(Buffer.alloc(32, 2));
    const single = load({ SECRETS_MASTER_KEY: KEY_A, SECRETS_MASTER_KEY_ID: 'main' });
    expect(single.masterKeys).toEqual([{ id: 'main', key: Buffer.alloc(32, 1) }]);
  });

  it('needs a key in production and with DATABASE_URL, and none on the embedded default', () => {
    expect(load({}).masterKeys).toEqual([]);
    expect(() => load({ NODE_ENV: 'production' })).toThrow(ConfigValidationError);
    expect(() => load({ DATABASE_URL: 'postgres://x@localhost/db' })).toThrow(/SECRETS_MASTER_KEYS/);
  });

  it('refuses malformed keys, short keys and a key id named twice', () => {
    expect(() => load({ SECRETS_MASTER_KEYS: 'k1' })).toThrow(ConfigValidationError);
    expect(() => load({ SECRETS_MASTER_KEYS: `k1:${Buffer.alloc(16).toString('base64')}` })).toThrow(
      ConfigValidationError,
    );
    expect(() => load({ SECRETS_MASTER_KEYS: `k1:${KEY_A},k1:${KEY_B}` })).toThrow(/twice/);
    expect(() => load({ SECRETS_MASTER_KEY: 'not-a-key' })).toThrow(ConfigValidationError);
  });
});
