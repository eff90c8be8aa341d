import { storableInt, storableIp, storableJson, storableText } from './storable-value.util';

describe('storable values', () => {
  it('replaces NUL and lone surrogates, which PostgreSQL refuses, and keeps everything else', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb');
    expect(storableText('x\ud800y')).toBe('x\uFFFDy');
    expect(storableText('\udc00')).toBe('\uFFFD');
    expect(storableText('emoji 😀 and é')).toBe('emoji 😀 and é');
  });

  it('caps length without leaving half a surrogate pair at the cut', () => {
    const text = `${'a'.repeat(9)}😀`;
    expect(storableText(text, 10)).toBe(`${'a'.repeat(9)}\uFFFD`);
    expect(storableText('abc', 2)).toBe('ab');
  });

  it('keeps only real ip addresses', () => {
    expect(storableIp('203.0.113.7')).toBe('203.0.113.7');
    expect(storableIp('2001:db8::1')).toBe('2001:db8::1');
    for (const bad of [
      'not-an-ip',
      '1.2.3.4, 5.6.7.8',
      '999.1.1.1',
      '',
      undefined,
      null,
      '1.2.3.4\u0000',
      'fe80::1%eth0',
    ]) {
      expect(storableIp(bad)).toBeNull();
    }
  });

  it('rounds and clamps integers to int4, and drops what is not a finite number', () => {
    expect(storableInt(12.6)).toBe(13);
    expect(storableInt(1e12)).toBe(2_147_483_647);
    expect(storableInt(-1e12)).toBe(-2_147_483_648);
    expect(storableInt(Number.NaN)).toBeNull();
    expect(storableInt(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('makes keys, strings and numbers of a JSON value storable, at any depth it keeps', () => {
    expect(storableJson({ 'k\u0000': ['v\ud800', Number.POSITIVE_INFINITY, 10n, { n: Number.NaN }] })).toEqual({
      'k\uFFFD': ['v\uFFFD', 'Infinity', '10', { n: 'NaN' }],
    });
  });

  it('bounds the depth of deeply nested input', () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < 2000; level++) deep = [deep];
    const stored = JSON.stringify(storableJson(deep));
    expect(stored.length).toBeLessThan(100);
    expect(stored).toContain('[1 items]');
  });
});
