import { MasterKeyring } from './master-keyring';

const key = (fill: number) => Buffer.alloc(32, fill);

describe('MasterKeyring', () => {
  const dataKey = Buffer.alloc(32, 0xab);

  it('wraps with the newest key and unwraps with any key of the ring', () => {
    const old = new MasterKeyring([{ id: 'k1', key: key(1) }]);
    const wrappedByOld = old.wrap(dataKey, 'secret-data-key:a');
    expect(wrappedByOld.masterKeyId).toBe('k1');
    const changeOver = new MasterKeyring([
      { id: 'k2', key: key(2) },
      { id: 'k1', key: key(1) },
    ]);
    expect(changeOver.unwrap(wrappedByOld, 'secret-data-key:a')).toEqual(dataKey);
    const wrappedByNew = changeOver.wrap(dataKey, 'secret-data-key:a');
    expect(wrappedByNew.masterKeyId).toBe('k2');
    expect(wrappedByNew.wrapped.includes(dataKey)).toBe(false);
    expect(new MasterKeyring([{ id: 'k2', key: key(2) }]).unwrap(wrappedByNew, 'secret-data-key:a')).toEqual(dataKey);
  });

  it('refuses another purpose, a missing key, a key id swapped and a flipped bit', () => {
    const ring = new MasterKeyring([
      { id: 'k2', key: key(2) },
      { id: 'k1', key: key(1) },
    ]);
    const wrapped = ring.wrap(dataKey, 'secret-data-key:a');
    expect(ring.unwrap(wrapped, 'secret-data-key:b')).toBeUndefined();
    expect(new MasterKeyring([{ id: 'k1', key: key(1) }]).unwrap(wrapped, 'secret-data-key:a')).toBeUndefined();
    expect(ring.unwrap({ ...wrapped, masterKeyId: 'k1' }, 'secret-data-key:a')).toBeUndefined();
    const flipped = Buffer.from(wrapped.wrapped);
    flipped[flipped.length - 1] ^= 1;
    expect(ring.unwrap({ ...wrapped, wrapped: flipped }, 'secret-data-key:a')).toBeUndefined();
    expect(ring.unwrap({ ...wrapped, wrapped: Buffer.alloc(3) }, 'secret-data-key:a')).toBeUndefined();
  });
});
