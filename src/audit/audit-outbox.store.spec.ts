import fc from 'fast-check';
import { escapeLiteral } from 'pg';
import { sqlLiteral } from './audit-outbox.store';

describe('sqlLiteral', () => {
  it("writes every string exactly as pg's escapeLiteral does", () => {
    const hostile = fc.constantFrom("'", '\\', "\\'", "''", '\\\\', 'E', ' ', '\u0000', '\ud800', '😀');
    const text = fc.array(fc.oneof(fc.string({ unit: 'binary' }), hostile)).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (value) => sqlLiteral(value) === escapeLiteral(value)),
      { seed: 20261203, numRuns: 2000 },
    );
  });

  it('uses the E form only when there is a backslash', () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(sqlLiteral('a\\b')).toBe(" E'a\\\\b'");
    expect(sqlLiteral('')).toBe("''");
  });
});
