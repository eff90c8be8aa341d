import { levelsAtLeast, logFilterSql } from './log-filter';

describe('levelsAtLeast', () => {
  it.each([
    ['debug', ['debug', 'info', 'warning', 'error', 'critical']],
    ['info', ['info', 'warning', 'error', 'critical']],
    ['warning', ['warning', 'error', 'critical']],
    ['error', ['error', 'critical']],
    ['critical', ['critical']],
  ] as const)('%s keeps itself and the more severe levels', (level, expected) => {
    expect(levelsAtLeast(level).sort()).toEqual([...expected].sort());
  });
});

describe('logFilterSql', () => {
  it('matches everything without a filter', () => {
    expect(logFilterSql({})).toEqual({ where: 'true', params: [] });
  });

  it('numbers one parameter per condition, in a fixed order', () => {
    const { where, params } = logFilterSql({
      q: 'Disk',
      to: '2026-02-01T00:00:00Z',
      from: '2026-01-01T00:00:00Z',
      traceId: 'abc',
      module: 'Audit',
      level: 'error',
    });
    expect(where).toBe(
      'level = ANY($1::text[]) AND module = $2 AND trace_id = $3 AND created_at >= $4 AND created_at < $5' +
        ' AND strpos(lower(message), lower($6)) > 0',
    );
    expect(params).toEqual([
      ['error', 'critical'],
      'Audit',
      'abc',
      '2026-01-01T00:00:00Z',
      '2026-02-01T00:00:00Z',
      'Disk',
    ]);
  });

  it('passes the search text as a parameter, never into the SQL', () => {
    const { where, params } = logFilterSql({ q: "50%' OR 1=1 --" });
    expect(where).not.toContain('OR 1=1');
    expect(params).toEqual(["50%' OR 1=1 --"]);
  });
});
