import { countsBetween, FrontendParser, type StatementCounts } from './pg-statement-counter';

function counts(): StatementCounts {
  return { statements: 0, roundTrips: 0, byText: new Map(), unreadable: 0 };
}

function cstrings(...parts: string[]): Buffer {
  return Buffer.concat(parts.map((part) => Buffer.from(`${part}\0`)));
}

/** A typed frontend message: type byte, int32 length (itself included), body. */
function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function untyped(code: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(code, 4);
  return Buffer.concat([head, body]);
}

const startup = untyped(196608, cstrings('user', 'postgres', 'database', 'db', ''));

/** Parse, Bind, Describe, Execute, Sync: how node-postgres sends a parameterised query. */
function extendedQuery(text: string, statement = ''): Buffer {
  const bind = Buffer.concat([cstrings('', statement), Buffer.alloc(6)]);
  return Buffer.concat([
    message('P', Buffer.concat([cstrings(statement, text), Buffer.alloc(2)])),
    message('B', bind),
    message('D', Buffer.concat([Buffer.from('P'), cstrings('')])),
    message('E', Buffer.concat([cstrings(''), Buffer.alloc(4)])),
    message('S'),
  ]);
}

describe('FrontendParser', () => {
  it('counts simple queries and extended-protocol executions after the startup message', () => {
    const totals = counts();
    const parser = new FrontendParser(totals);
    parser.push(
      Buffer.concat([
        startup,
        message('Q', cstrings('START TRANSACTION')),
        extendedQuery('SELECT  *\n  FROM agents WHERE id = $1'),
        message('Q', cstrings('COMMIT')),
      ]),
    );
    expect(totals.statements).toBe(3);
    expect(totals.roundTrips).toBe(3);
    expect([...totals.byText]).toEqual([
      ['START TRANSACTION', 1],
      ['SELECT * FROM agents WHERE id = $1', 1],
      ['COMMIT', 1],
    ]);
  });

  it('reads messages split across chunks at any byte', () => {
    const stream = Buffer.concat([startup, extendedQuery('SELECT 1'), message('Q', cstrings('SELECT 2'))]);
    for (let cut = 1; cut < stream.length; cut++) {
      const totals = counts();
      const parser = new FrontendParser(totals);
      parser.push(stream.subarray(0, cut));
      parser.push(stream.subarray(cut));
      expect([...totals.byText]).toEqual([
        ['SELECT 1', 1],
        ['SELECT 2', 1],
      ]);
    }
  });

  it('attributes executions of a named statement prepared once to its text', () => {
    const totals = counts();
    const parser = new FrontendParser(totals);
    const bindAndRun = Buffer.concat([
      message('B', Buffer.concat([cstrings('', 'session-lookup'), Buffer.alloc(6)])),
      message('E', Buffer.concat([cstrings(''), Buffer.alloc(4)])),
      message('S'),
    ]);
    parser.push(
      Buffer.concat([startup, extendedQuery('SELECT 1 FROM sessions', 'session-lookup'), bindAndRun, bindAndRun]),
    );
    expect(totals.byText.get('SELECT 1 FROM sessions')).toBe(3);
    expect(totals.roundTrips).toBe(3);
  });

  it('goes on after a refused SSLRequest, and gives up on a connection that turned to TLS', () => {
    const refused = counts();
    new FrontendParser(refused).push(Buffer.concat([untyped(80877103), startup, message('Q', cstrings('SELECT 1'))]));
    expect(refused.statements).toBe(1);

    const tls = counts();
    const parser = new FrontendParser(tls);
    parser.push(Buffer.concat([untyped(80877103), Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01])]));
    parser.push(message('Q', cstrings('SELECT 1')));
    expect(tls.unreadable).toBe(1);
    expect(tls.statements).toBe(0);
  });
});

describe('countsBetween', () => {
  it('keeps what was added between two snapshots', () => {
    const before: StatementCounts = { statements: 2, roundTrips: 2, byText: new Map([['A', 2]]), unreadable: 0 };
    const after: StatementCounts = {
      statements: 5,
      roundTrips: 4,
      byText: new Map([
        ['A', 3],
        ['B', 2],
      ]),
      unreadable: 0,
    };
    expect(countsBetween(before, after)).toEqual({
      statements: 3,
      roundTrips: 2,
      byText: new Map([
        ['A', 1],
        ['B', 2],
      ]),
      unreadable: 0,
    });
  });
});
