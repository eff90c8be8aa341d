import { ConfigValidationError } from './config-validation.util';
import { parseKeyedSecrets } from './keyed-secrets.util';

const A = 'a'.repeat(32);
const B = 'b+/='.repeat(10);

describe('parseKeyedSecrets', () => {
  it('reads one value under the implicit id, as the variable was before key ids', () => {
    expect(parseKeyedSecrets('K', B, 'p0')).toEqual([{ id: 'p0', value: B }]);
  });

  it('reads id:value pairs newest first, spaces around entries ignored', () => {
    expect(parseKeyedSecrets('K', `p2:${A}, p1:${B}`, 'p0')).toEqual([
      { id: 'p2', value: A },
      { id: 'p1', value: B },
    ]);
  });

  it('is empty when unset, so the embedded default can generate one', () => {
    expect(parseKeyedSecrets('K', undefined, 'p0')).toEqual([]);
    expect(parseKeyedSecrets('K', '', 'p0')).toEqual([]);
  });

  it.each([
    ['a short single value', 'short'],
    ['a short listed value', `p2:${A},p1:short`],
    ['an entry without an id', `p2:${A},${A}`],
    ['an id named twice', `p1:${A},p1:${B}`],
  ])('refuses %s without echoing the value', (_label, raw) => {
    expect(() => parseKeyedSecrets('K', raw, 'p0')).toThrow(ConfigValidationError);
    try {
      parseKeyedSecrets('K', raw, 'p0');
    } catch (error) {
      expect((error as Error).message).not.toContain(A);
      expect((error as Error).message).not.toContain(B);
    }
  });
});
