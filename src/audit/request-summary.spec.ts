import { summarizeInput } from './request-summary';

describe('summarizeInput', () => {
  it('redacts credentials at any depth', () => {
    const summary = summarizeInput({
      body: { username: 'alice', password: 'hunter2-hunter2', nested: { apiKey: 'snt_x', totpCode: '123456' } },
    });
    expect(summary).toEqual({
      body: { username: 'alice', password: '[REDACTED]', nested: { apiKey: '[REDACTED]', totpCode: '[REDACTED]' } },
    });
    expect(JSON.stringify(summary)).not.toContain('hunter2');
  });

  it('cuts long strings and long arrays, and never keeps a body whole', () => {
    const summary = summarizeInput({ diff: 'x'.repeat(5000), items: Array.from({ length: 50 }, (_, i) => i) }) as {
      diff: string;
      items: unknown[];
    };
    expect(summary.diff.length).toBeLessThan(260);
    expect(summary.diff).toContain('(5000 chars)');
    expect(summary.items).toHaveLength(21);
    expect(summary.items.at(-1)).toBe('…(30 more)');
  });

  it('shortens deep structures and objects with many keys', () => {
    const deep = summarizeInput({ a: { b: { c: { d: 1 } } } });
    expect(deep).toEqual({ a: { b: { c: '{…}' } } });
    const wide = summarizeInput(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]))) as Record<
      string,
      unknown
    >;
    expect(Object.keys(wide)).toHaveLength(31);
    expect(wide['…']).toBe('10 more keys');
  });
});
