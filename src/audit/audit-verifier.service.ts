import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AUDIT_COLUMNS, type AuditRow } from './audit-entry';
import { AUDIT_CHAIN_KEY } from './audit-chain-key.provider';
import type { AuditVerificationDto } from './dto/audit-query.dto';
import { chainHash, GENESIS_HASH } from './hash-chain';

const BATCH = 5000;

/**
 * Walks the chain in id order and recomputes every link. An UPDATE breaks the
 * altered record's own hash; a DELETE breaks the link of the record after the
 * gap (or, at the end, no longer matches the chain head); an INSERT cannot
 * carry a valid hash without the key.
 */
@Injectable()
export class AuditVerifier {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUDIT_CHAIN_KEY) private readonly key: string,
  ) {}

  async verify(from?: string, to?: string): Promise<AuditVerificationDto> {
    let expectedPrevious = await this.anchor(from);
    let cursor = from === undefined ? '0' : (BigInt(from) - 1n).toString();
    let checked = 0;
    let lastRow: AuditRow | undefined;
    for (;;) {
      const rows = await this.dataSource.query<AuditRow[]>(
        `SELECT ${AUDIT_COLUMNS} FROM audit_logs WHERE id > $1 AND ($2::bigint IS NULL OR id <= $2)
          ORDER BY id LIMIT ${BATCH}`,
        [cursor, to ?? null],
      );
      for (const row of rows) {
        // The oldest kept record may follow rows that retention dropped: it anchors the walk.
        if (expectedPrevious !== undefined && row.prev_hash !== expectedPrevious) {
          return { valid: false, checked, firstBrokenId: row.id, problem: 'link' };
        }
        if (chainHash(this.key, row.prev_hash, row) !== row.hash) {
          return { valid: false, checked, firstBrokenId: row.id, problem: 'content' };
        }
        expectedPrevious = row.hash;
        lastRow = row;
        checked++;
      }
      if (rows.length < BATCH) break;
      cursor = rows[rows.length - 1].id;
    }
    return to === undefined ? this.checkTail(lastRow, checked) : { valid: true, checked };
  }

  /** The hash the first checked record must link to: its predecessor's, genesis, or none known (after retention). */
  private async anchor(from: string | undefined): Promise<string | undefined> {
    if (from !== undefined) {
      const previous = await this.dataSource.query<{ hash: string }[]>(
        'SELECT hash FROM audit_logs WHERE id < $1 ORDER BY id DESC LIMIT 1',
        [from],
      );
      return previous[0]?.hash;
    }
    const oldest = await this.dataSource.query<{ prev_hash: string }[]>(
      'SELECT prev_hash FROM audit_logs ORDER BY id LIMIT 1',
    );
    return oldest[0]?.prev_hash === GENESIS_HASH ? GENESIS_HASH : undefined;
  }

  private async checkTail(lastRow: AuditRow | undefined, checked: number): Promise<AuditVerificationDto> {
    const head = await this.dataSource.query<{ last_id: string; last_hash: string }[]>(
      'SELECT last_id, last_hash FROM audit_chain_head',
    );
    if (head.length === 0) {
      // Records without a chain head were written around the chain, not through it.
      return lastRow === undefined
        ? { valid: true, checked }
        : { valid: false, checked, firstBrokenId: lastRow.id, problem: 'tail' };
    }
    if (lastRow?.id === head[0].last_id && lastRow.hash === head[0].last_hash) return { valid: true, checked };
    return { valid: false, checked, firstBrokenId: head[0].last_id, problem: 'tail' };
  }
}
