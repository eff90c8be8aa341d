import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

const MASK = (1n << 64n) - 1n;

/**
 * An order-independent checksum of COPY text rows: the row count and two sums
 * (mod 2^64) of each row's SHA-256. Two tables hold the same rows, duplicates
 * included, exactly when their checksums agree (up to hash collisions),
 * whatever order a scan returns them in, and however many streams fed them.
 */
export class RowSetChecksum {
  private rows = 0n;
  private first = 0n;
  private second = 0n;

  get value(): string {
    return `${this.rows}:${this.first.toString(16)}:${this.second.toString(16)}`;
  }

  add(row: Buffer): void {
    const digest = createHash('sha256').update(row).digest();
    this.first = (this.first + digest.readBigUInt64BE(0)) & MASK;
    this.second = (this.second + digest.readBigUInt64BE(8)) & MASK;
    this.rows++;
  }

  /** A pass-through stage adding every row of one stream to this checksum. */
  hasher(): Transform {
    return new RowHasher(this);
  }
}

class RowHasher extends Transform {
  private partial: Buffer = Buffer.alloc(0);

  constructor(private readonly checksum: RowSetChecksum) {
    super();
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const joined = this.partial.length > 0 ? Buffer.concat([this.partial, data]) : data;
    let start = 0;
    for (let end = joined.indexOf(0x0a); end !== -1; end = joined.indexOf(0x0a, start)) {
      this.checksum.add(joined.subarray(start, end));
      start = end + 1;
    }
    this.partial = Buffer.from(joined.subarray(start));
    done(null, data);
  }
}
