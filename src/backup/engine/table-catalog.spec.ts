import { isPartitionBound } from './table-catalog';

describe('isPartitionBound', () => {
  it.each([
    'DEFAULT',
    "FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00')",
    'FOR VALUES FROM (MINVALUE) TO (100)',
    "FOR VALUES FROM ('a', -1.5) TO ('b', MAXVALUE)",
    "FOR VALUES IN ('it''s', 'plain')",
  ])('accepts what pg_get_expr prints: %s', (bound) => {
    expect(isPartitionBound(bound)).toBe(true);
  });

  it.each([
    "FOR VALUES FROM ('2026-11-01') TO ('2026-12-01'); DROP TABLE users; --",
    "FOR VALUES FROM ('x') TO ('y') WITH (fillfactor = 10)",
    "FOR VALUES IN ('a'), ('b')",
    "FOR VALUES FROM ('unterminated) TO ('y')",
    "FOR VALUES FROM ((SELECT '1')) TO ('2')",
    'FOR VALUES FROM (now()) TO (now())',
    '',
  ])('refuses anything else: %s', (bound) => {
    expect(isPartitionBound(bound)).toBe(false);
  });
});
