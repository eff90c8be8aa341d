import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

const NEWLINE = 0x0a;

export interface CopyDataSummary {
  rows: number;
  sha256: string;
  bytes: number;
}

/**
 * Passes COPY text data through, counting rows (each ends with a newline; one
 * inside a value is escaped as `\n`) and hashing the bytes. With `expected`,
 * a stream that does not match fails before its last byte is passed on, so a
 * COPY FROM it is aborted rather than completed.
 */
export class CopyDataTap extends Transform {
  private readonly hash = createHash('sha256');
  private rows = 0;
  private bytes = 0;
  private summary?: CopyDataSummary;

  constructor(
    private readonly expected?: { rows: number; sha256: string; what: string },
    private readonly onData?: (bytes: number, rows: number) => void,
  ) {
    super();
  }

  get result(): CopyDataSummary {
    if (!this.summary) throw new Error('the stream has not ended');
    return this.summary;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(data);
    this.bytes += data.length;
    let rows = 0;
    for (let at = data.indexOf(NEWLINE); at !== -1; at = data.indexOf(NEWLINE, at + 1)) rows++;
    this.rows += rows;
    this.onData?.(data.length, rows);
    done(null, data);
  }

  override _flush(done: TransformCallback): void {
    this.summary = { rows: this.rows, sha256: this.hash.digest('hex'), bytes: this.bytes };
    const expected = this.expected;
    if (expected && (expected.rows !== this.rows || expected.sha256 !== this.summary.sha256)) {
      done(
        new Error(
          `${expected.what} does not match its manifest (${this.rows} rows read, ${expected.rows} recorded; ` +
            `checksum ${this.summary.sha256 === expected.sha256 ? 'equal' : 'different'})`,
        ),
      );
      return;
    }
    done();
  }
}
