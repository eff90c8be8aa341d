import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { timingSafeEqual } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { HmacKeyring } from '../common/keyring/hmac-keyring';
import { AUDIT_CHAIN_KEYS } from './audit-chain-key.provider';
import { headVerdict, readHead } from './audit-chainer.service';
import { AuditErrorCode, AuditException } from './audit.exception';
import { AUDIT_COLUMNS, type AuditRow } from './audit-entry';
import type { AuditVerificationDto, ChainHeadDto, VerifyAuditQueryDto } from './dto/audit-query.dto';
import {
  type ChainCheckpoint,
  type ChainHead,
  chainHash,
  GENESIS_HASH,
  signChainCheckpoint,
  signChainHead,
} from './hash-chain';

const BATCH = 5000;

type Verdict = Omit<AuditVerificationDto, 'checked'>;

/** Where the walk starts: the link the first record must continue, and what retention says came before it. */
interface ChainStart {
  prevHash: string | undefined;
  minimumId?: string;
  rowsDropped?: bigint;
}

/**
 * Walks the chain in id order and recomputes every link. An UPDATE breaks the
 * altered record's own hash; a DELETE breaks the link of the record after the
 * gap; deleting the newest records no longer matches the signed head (which
 * counts every record ever chained); deleting the oldest ones no longer
 * matches retention's signed checkpoint (or the genesis link); an INSERT
 * cannot carry a valid hash without the key. An anchor kept outside the
 * database (a head exported earlier) also catches a head rewound to an old,
 * genuinely signed state.
 */
@Injectable()
export class AuditVerifier {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUDIT_CHAIN_KEYS) private readonly keys: HmacKeyring,
  ) {}

  /** The signed head, to keep outside the database (an export, a webhook) and pass back as an anchor. */
  async head(): Promise<ChainHeadDto> {
    const head = await readHead(this.dataSource.manager);
    if (!head) throw new AuditException(AuditErrorCode.EmptyChain);
    // Never sign what the chainer did not write: a forged head would come back looking genuine.
    const verdict = headVerdict(this.keys, head);
    if (verdict === 'forged') throw new AuditException(AuditErrorCode.ForgedHead);
    const key = this.keys.find(head.keyId);
    if (verdict === 'unknown-key' || key === undefined) {
      throw new AuditException(AuditErrorCode.UnknownChainKey, `The head names key id ${head.keyId}`);
    }
    const { lastId, lastHash, rowCount, keyId } = head;
    return { lastId, lastHash, rowCount, keyId, signature: signChainHead(key, head) };
  }

  /** In one snapshot: rows chained while the walk runs must not look like a head without its rows. */
  verify(query: VerifyAuditQueryDto): Promise<AuditVerificationDto> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      await manager.query('SET TRANSACTION READ ONLY');
      return this.verifyIn(manager, query);
    });
  }

  private async verifyIn(manager: EntityManager, query: VerifyAuditQueryDto): Promise<AuditVerificationDto> {
    const whole = query.from === undefined && query.to === undefined;
    const start: ChainStart | Verdict =
      query.from === undefined ? await this.start(manager) : { prevHash: await this.hashBefore(manager, query.from) };
    if ('valid' in start) return { ...start, checked: 0 };
    const walk = await this.walk(manager, query.from, query.to, start.prevHash, start.minimumId);
    if (walk.verdict || !whole) return { valid: walk.verdict === undefined, checked: walk.checked, ...walk.verdict };
    const tail = await this.checkHead(manager, walk.lastRow, walk.checked, start.rowsDropped ?? 0n);
    if (tail) return { ...tail, checked: walk.checked };
    const anchor =
      query.anchorId === undefined ? undefined : await this.checkAnchor(manager, query.anchorId, query.anchorHash);
    return anchor ? { ...anchor, checked: walk.checked } : { valid: true, checked: walk.checked };
  }

  private async walk(
    manager: EntityManager,
    from: string | undefined,
    to: string | undefined,
    firstPrevHash: string | undefined,
    minimumId: string | undefined,
  ): Promise<{ checked: number; lastRow?: AuditRow; verdict?: Verdict }> {
    let expectedPrevious = firstPrevHash;
    let cursor = from === undefined ? '0' : (BigInt(from) - 1n).toString();
    let checked = 0;
    let lastRow: AuditRow | undefined;
    for (;;) {
      const rows = await manager.query<AuditRow[]>(
        `SELECT ${AUDIT_COLUMNS} FROM audit_logs WHERE id > $1 AND ($2::bigint IS NULL OR id <= $2)
          ORDER BY id LIMIT ${BATCH}`,
        [cursor, to ?? null],
      );
      for (const row of rows) {
        if (checked === 0 && minimumId !== undefined && BigInt(row.id) < BigInt(minimumId)) {
          return { checked, verdict: { valid: false, firstBrokenId: row.id, problem: 'start' } };
        }
        if (expectedPrevious !== undefined && row.prev_hash !== expectedPrevious) {
          return {
            checked,
            verdict: {
              valid: false,
              firstBrokenId: row.id,
              problem: checked === 0 && from === undefined ? 'start' : 'link',
            },
          };
        }
        const key = this.keys.find(row.chain_key_id);
        if (key === undefined) {
          return { checked, verdict: { valid: false, firstBrokenId: row.id, problem: 'key', keyId: row.chain_key_id } };
        }
        if (chainHash(key, row.prev_hash, row) !== row.hash) {
          return { checked, verdict: { valid: false, firstBrokenId: row.id, problem: 'content' } };
        }
        expectedPrevious = row.hash;
        lastRow = row;
        checked++;
      }
      if (rows.length < BATCH) return { checked, lastRow };
      cursor = rows[rows.length - 1].id;
    }
  }

  /**
   * Where the kept chain must start: after retention's newest checkpoint
   * (signed, so it cannot be forged to cover other deletions), else at the
   * genesis link.
   */
  private async start(manager: EntityManager): Promise<ChainStart | Verdict> {
    const row = (
      await manager.query<
        {
          first_kept_id: string;
          first_kept_prev_hash: string;
          rows_dropped: string;
          signature: string;
          key_id: string;
        }[]
      >(
        `SELECT first_kept_id::text, first_kept_prev_hash, rows_dropped::text, signature, key_id
           FROM audit_chain_checkpoints ORDER BY id DESC LIMIT 1`,
      )
    ).at(0);
    if (!row) return { prevHash: GENESIS_HASH };
    const checkpoint: ChainCheckpoint = {
      firstKeptId: row.first_kept_id,
      firstKeptPrevHash: row.first_kept_prev_hash,
      rowsDropped: row.rows_dropped,
      keyId: row.key_id,
    };
    const key = this.keys.find(checkpoint.keyId);
    if (key === undefined) return { valid: false, problem: 'key', keyId: checkpoint.keyId };
    if (!sameHex(signChainCheckpoint(key, checkpoint), row.signature)) {
      return { valid: false, problem: 'checkpoint' };
    }
    return {
      prevHash: checkpoint.firstKeptPrevHash,
      minimumId: checkpoint.firstKeptId,
      rowsDropped: BigInt(checkpoint.rowsDropped),
    };
  }

  private async hashBefore(manager: EntityManager, from: string): Promise<string | undefined> {
    const previous = await manager.query<{ hash: string }[]>(
      'SELECT hash FROM audit_logs WHERE id < $1 ORDER BY id DESC LIMIT 1',
      [from],
    );
    return previous[0]?.hash;
  }

  /** The last record must be the signed head's, and the records kept plus those retention dropped its count. */
  private async checkHead(
    manager: EntityManager,
    lastRow: AuditRow | undefined,
    checked: number,
    rowsDropped: bigint,
  ): Promise<Verdict | undefined> {
    const stored = (
      await manager.query<
        { last_id: string; last_hash: string; row_count: string | null; signature: string | null; key_id: string }[]
      >('SELECT last_id::text, last_hash, row_count::text, signature, key_id FROM audit_chain_head')
    ).at(0);
    if (!stored) {
      // Records without a chain head were written around the chain, not through it.
      return lastRow === undefined ? undefined : { valid: false, firstBrokenId: lastRow.id, problem: 'tail' };
    }
    const head: ChainHead = {
      lastId: stored.last_id,
      lastHash: stored.last_hash,
      rowCount: stored.row_count ?? '',
      keyId: stored.key_id,
    };
    const key = this.keys.find(head.keyId);
    if (key === undefined) return { valid: false, firstBrokenId: head.lastId, problem: 'key', keyId: head.keyId };
    if (stored.signature === null || !sameHex(signChainHead(key, head), stored.signature)) {
      return { valid: false, firstBrokenId: head.lastId, problem: 'head' };
    }
    if (lastRow?.id !== head.lastId || lastRow.hash !== head.lastHash) {
      return { valid: false, firstBrokenId: head.lastId, problem: 'tail' };
    }
    if (BigInt(checked) + rowsDropped !== BigInt(head.rowCount)) {
      return { valid: false, firstBrokenId: head.lastId, problem: 'count' };
    }
    return undefined;
  }

  /** The anchored record must still be there, unchanged: the chain has not been cut back before it. */
  private async checkAnchor(
    manager: EntityManager,
    anchorId: string,
    anchorHash: string | undefined,
  ): Promise<Verdict | undefined> {
    const row = (await manager.query<{ hash: string }[]>('SELECT hash FROM audit_logs WHERE id = $1', [anchorId])).at(
      0,
    );
    if (row && (anchorHash === undefined || row.hash === anchorHash)) return undefined;
    return { valid: false, firstBrokenId: anchorId, problem: 'anchor' };
  }
}

function sameHex(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(actual, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}
