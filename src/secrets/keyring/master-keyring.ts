import type { MasterKeyMaterial } from '../../config/secrets.config';
import { open, seal } from './aes-gcm.util';

export const MASTER_KEYRING = Symbol('MASTER_KEYRING');

/** A key wrapped by a master key, and which one. */
export interface WrappedKey {
  masterKeyId: string;
  wrapped: Buffer;
}

/**
 * The master keys, newest first: the newest wraps, every one unwraps, so
 * data wrapped before a change-over stays readable until `secrets rewrap`
 * has moved it. The keys live in process memory only, never in the database.
 */
export class MasterKeyring {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly activeId: string;

  constructor(keys: readonly MasterKeyMaterial[]) {
    if (keys.length === 0) throw new Error('a master keyring needs at least one key');
    this.keys = new Map(keys.map((key) => [key.id, key.key]));
    this.activeId = keys[0].id;
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  /** Wraps a data key under the newest master key; `purpose` binds it to its owner (a secret, a key version). */
  wrap(dataKey: Buffer, purpose: string): WrappedKey {
    const key = this.keys.get(this.activeId) as Buffer;
    return { masterKeyId: this.activeId, wrapped: seal(key, dataKey, aadOf(this.activeId, purpose)) };
  }

  /** The data key, or undefined when its master key is not in the ring or the tag does not verify. */
  unwrap(wrapped: WrappedKey, purpose: string): Buffer | undefined {
    const key = this.keys.get(wrapped.masterKeyId);
    if (!key) return undefined;
    return open(key, wrapped.wrapped, aadOf(wrapped.masterKeyId, purpose));
  }

  has(masterKeyId: string): boolean {
    return this.keys.has(masterKeyId);
  }
}

function aadOf(masterKeyId: string, purpose: string): Buffer {
  return Buffer.from(`sentinel:${masterKeyId}:${purpose}`, 'utf8');
}
