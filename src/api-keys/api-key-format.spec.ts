import { generateApiKey, newSecretFor, parseApiKey, readablePublicId } from './api-key-format';

describe('API key format', () => {
  it('generates recognisable keys that parse back to their parts', () => {
    const { key, publicId, secret } = generateApiKey();
    expect(key).toMatch(/^snt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(key)).toEqual({ publicId, secret });
  });

  it('gives every key a different public id and secret', () => {
    const first = generateApiKey();
    const second = generateApiKey();
    expect(first.publicId).not.toBe(second.publicId);
    expect(first.secret).not.toBe(second.secret);
  });

  it('keeps the public id when a new secret is made for rotation', () => {
    const { publicId, secret } = generateApiKey();
    const rotated = newSecretFor(publicId);
    expect(parseApiKey(rotated.key)?.publicId).toBe(publicId);
    expect(rotated.secret).not.toBe(secret);
  });

  it.each([
    '',
    'snt_',
    'snt_0123456789abcdef',
    'snt_0123456789abcdef_',
    'snt_0123456789ABCDEF_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'snt_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'snt_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'xyz_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    ' snt_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'snt_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa€',
  ])('refuses the malformed key %j', (candidate) => {
    expect(parseApiKey(candidate)).toBeUndefined();
  });

  it('reads the public id of a key whose secret is malformed, for the refusal event', () => {
    expect(readablePublicId('snt_0123456789abcdef_short')).toBe('0123456789abcdef');
    expect(readablePublicId('garbage')).toBeUndefined();
  });
});
