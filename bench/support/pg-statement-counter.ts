/**
 * Counts the SQL statements a server sends to PostgreSQL without changing the server: a TCP proxy in
 * front of PostgreSQL that passes every byte through unchanged and reads the client's side of the
 * wire protocol (v3). A simple Query ('Q') is one statement and one round trip; in the extended
 * protocol each Execute ('E') is one statement (its text from the Parse that prepared it) and each
 * Sync ('S') ends one round trip. TLS cannot be read: the proxy refuses to count such a connection.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

const PROTOCOL_3 = 196608;
/** A startup-phase length larger than this is not PostgreSQL's (e.g. a TLS record after SSL was accepted). */
const MAX_STARTUP_LENGTH = 10_000;

export interface StatementCounts {
  statements: number;
  roundTrips: number;
  /** Statements by their text, whitespace collapsed. */
  byText: Map<string, number>;
  /** Connections whose bytes could not be read (TLS); nothing of theirs is counted. */
  unreadable: number;
}

function emptyCounts(): StatementCounts {
  return { statements: 0, roundTrips: 0, byText: new Map(), unreadable: 0 };
}

export function normalizeStatement(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `after - before`, for the statements of one stretch of time. */
export function countsBetween(before: StatementCounts, after: StatementCounts): StatementCounts {
  const byText = new Map<string, number>();
  for (const [text, count] of after.byText) {
    const delta = count - (before.byText.get(text) ?? 0);
    if (delta > 0) byText.set(text, delta);
  }
  return {
    statements: after.statements - before.statements,
    roundTrips: after.roundTrips - before.roundTrips,
    byText,
    unreadable: after.unreadable - before.unreadable,
  };
}

function cString(buffer: Buffer, offset: number): { value: string; next: number } {
  const end = buffer.indexOf(0, offset);
  const stop = end === -1 ? buffer.length : end;
  return { value: buffer.toString('utf8', offset, stop), next: stop + 1 };
}

/** Reads one connection's frontend messages as they arrive, in whatever chunks. */
export class FrontendParser {
  private pending: Buffer = Buffer.alloc(0);
  private startup = true;
  private unreadable = false;
  /** Prepared statement name -> text; '' is the unnamed statement, replaced by every unnamed Parse. */
  private readonly statements = new Map<string, string>();
  /** Portal name -> the text of the statement bound to it. */
  private readonly portals = new Map<string, string>();

  constructor(private readonly counts: StatementCounts) {}

  push(chunk: Buffer): void {
    if (this.unreadable) return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    for (;;) {
      const consumed = this.startup ? this.startupMessage(offset) : this.typedMessage(offset);
      if (consumed === 0) break;
      offset += consumed;
    }
    this.pending = this.pending.subarray(offset);
  }

  /** Untyped messages before the session starts: StartupMessage, SSLRequest, GSSENCRequest, CancelRequest. */
  private startupMessage(offset: number): number {
    if (this.pending.length - offset < 8) return 0;
    const length = this.pending.readInt32BE(offset);
    if (length < 8 || length > MAX_STARTUP_LENGTH) {
      this.unreadable = true;
      this.counts.unreadable++;
      return 0;
    }
    if (this.pending.length - offset < length) return 0;
    const code = this.pending.readInt32BE(offset + 4);
    // SSLRequest and GSSENCRequest are followed by another startup message (after a refusal); a
    // CancelRequest ends the connection.
    if (code === PROTOCOL_3) this.startup = false;
    return length;
  }

  private typedMessage(offset: number): number {
    if (this.pending.length - offset < 5) return 0;
    const type = String.fromCharCode(this.pending[offset]);
    const length = this.pending.readInt32BE(offset + 1);
    if (this.pending.length - offset < 1 + length) return 0;
    const body = this.pending.subarray(offset + 5, offset + 1 + length);
    switch (type) {
      case 'Q':
        this.count(cString(body, 0).value);
        this.counts.roundTrips++;
        break;
      case 'P': {
        const name = cString(body, 0);
        this.statements.set(name.value, cString(body, name.next).value);
        break;
      }
      case 'B': {
        const portal = cString(body, 0);
        const statement = cString(body, portal.next).value;
        this.portals.set(portal.value, this.statements.get(statement) ?? `(prepared statement ${statement})`);
        break;
      }
      case 'E':
        this.count(this.portals.get(cString(body, 0).value) ?? '(unknown portal)');
        break;
      case 'S':
        this.counts.roundTrips++;
        break;
      default:
        break;
    }
    return 1 + length;
  }

  private count(text: string): void {
    const key = normalizeStatement(text);
    this.counts.statements++;
    this.counts.byText.set(key, (this.counts.byText.get(key) ?? 0) + 1);
  }
}

/** A counting proxy on 127.0.0.1 in front of the PostgreSQL that `databaseUrl` names. */
export class StatementCounter {
  private readonly counts = emptyCounts();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly upstream: URL,
  ) {}

  static async start(databaseUrl: string): Promise<StatementCounter> {
    const upstream = new URL(databaseUrl);
    const server = createServer();
    const counter = new StatementCounter(server, upstream);
    server.on('connection', (client) => {
      counter.relay(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return counter;
  }

  /** `databaseUrl` with its host and port replaced by the proxy's. */
  get url(): string {
    const address = this.server.address();
    if (!address || typeof address !== 'object') throw new Error('the counter is not listening');
    const url = new URL(this.upstream.toString());
    url.hostname = '127.0.0.1';
    url.port = String(address.port);
    return url.toString();
  }

  snapshot(): StatementCounts {
    return { ...this.counts, byText: new Map(this.counts.byText) };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private relay(client: Socket): void {
    const server = connect({ host: this.upstream.hostname, port: Number(this.upstream.port || 5432) });
    const parser = new FrontendParser(this.counts);
    this.sockets.add(client).add(server);
    client.on('data', (chunk: Buffer) => {
      parser.push(chunk);
    });
    client.pipe(server);
    server.pipe(client);
    const end = (): void => {
      client.destroy();
      server.destroy();
      this.sockets.delete(client);
      this.sockets.delete(server);
    };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
  }
}
