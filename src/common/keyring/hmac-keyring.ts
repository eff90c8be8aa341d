import type { KeyedSecret } from '../../config/keyed-secrets.util';

/** HMAC keys by id, newest first: the newest hashes or signs what is new, every listed one still verifies. */
export class HmacKeyring {
  private readonly byId: ReadonlyMap<string, string>;

  constructor(private readonly keys: readonly KeyedSecret[]) {
    if (keys.length === 0) throw new Error('a keyring needs at least one key');
    this.byId = new Map(keys.map((key) => [key.id, key.value]));
  }

  get current(): KeyedSecret {
    return this.keys[0];
  }

  /** The key named by a stored id; undefined when the configuration no longer lists it. */
  find(id: string): string | undefined {
    return this.byId.get(id);
  }
}
