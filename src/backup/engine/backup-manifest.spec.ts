import { type BackupManifest, describeSegment, segmentLabel, withSegments } from './backup-manifest';

const catalogPart = {
  kind: 'mutable' as const,
  evidence: false,
  columns: ['id', 'name'],
  primaryKey: ['id'],
  identityAlways: false,
  partitions: [],
  contents: 'all' as const,
};

function manifestWith(tables: unknown[]): BackupManifest {
  return {
    backupId: 'b',
    type: 'full',
    parentId: null,
    snapshotAt: '2026-12-01T00:00:00.000Z',
    snapshot: '1:1:',
    completedAt: '2026-12-01T00:00:01.000Z',
    serverVersion: '15.19',
    migrations: [],
    session: {},
    tables: tables as BackupManifest['tables'],
    sequences: [],
  };
}

describe('withSegments', () => {
  it('reads a table written before partitions had segments as one segment holding the whole table', () => {
    const inline = {
      name: 'agents',
      ...catalogPart,
      segment: 3,
      offset: 120,
      length: 80,
      rows: 7,
      bytes: 300,
      sha256: 'ab',
    };

    const [table] = withSegments(manifestWith([inline])).tables;

    expect(table).toEqual({
      name: 'agents',
      ...catalogPart,
      rows: 7,
      bytes: 300,
      segments: [{ segment: 3, offset: 120, length: 80, rows: 7, bytes: 300, sha256: 'ab' }],
    });
    expect(segmentLabel(table.name, table.segments[0])).toBe('table:agents');
  });

  it('keeps a table that lists its segments as it is', () => {
    const segments = [
      { segment: 0, offset: 10, length: 5, rows: 1, bytes: 9, sha256: 'a', partition: 'logs_p202611' },
      { segment: 1, offset: 15, length: 5, rows: 2, bytes: 18, sha256: 'b', partition: 'logs_p202612' },
    ];
    const table = { name: 'logs', ...catalogPart, rows: 3, bytes: 27, segments };

    expect(withSegments(manifestWith([table])).tables).toEqual([table]);
    expect(segments.map((segment) => segmentLabel('logs', segment))).toEqual([
      'partition:logs/logs_p202611',
      'partition:logs/logs_p202612',
    ]);
  });

  it('names a block range’s segment by its table, partition and blocks, and labels it as its relation', () => {
    const pieces = [
      { partition: 'logs_p202612', blocks: { from: 0, to: 8192 } },
      { partition: 'logs_p202612', blocks: { from: 8192 } },
    ];

    expect(pieces.map((piece) => describeSegment('logs', piece))).toEqual([
      'table logs (partition logs_p202612) (blocks 0 to 8192)',
      'table logs (partition logs_p202612) (blocks 8192 to the end)',
    ]);
    expect(describeSegment('agents', {})).toBe('table agents');
    expect(new Set(pieces.map((piece) => segmentLabel('logs', piece)))).toEqual(
      new Set(['partition:logs/logs_p202612']),
    );
  });
});
