import { timingSafeEqual } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { HmacKeyring } from '../common/keyring/hmac-keyring';
import { connectionPool } from '../database/pool-client';
import { AUDIT_CHAIN_KEYS } from './audit-chain-key.provider';
import { AUDIT_COLUMNS, AUDIT_RECORD_COLUMNS, type AuditOutboxRow } from './audit-entry';
import { rowLiteral, sqlLiteral } from './audit-outbox.store';
import { type ChainHead, chainHash, GENESIS_HASH, signChainHead } from './hash-chain';

/** Held while appending to the chain or cutting it (retention): one writer of audit_logs at a time, cluster-wide. */
export const CHAIN_LOCK = 'sentinel:audit-chain';
const BATCH = 1000;
/**
 * Rows another instance committed and left unchained (it was killed, say) are picked up this
 * often. This instance's own commits kick the chainer at once; the sweep only looks.
 */
const SWEEP_INTERVAL_MS = 1000;
/**
 * A kick waits this long before its pass, so that under load one batch takes every row committed
 * meanwhile instead of one or two: measured on POST /api/v1/proposals at 16 connections, passes that
 * started at once moved 8 rows each and cost more server CPU than the request's own insert.
 */
const GATHER_MS = 20;

/**
 * Moves committed outbox rows into audit_logs, linking each into the HMAC
 * chain. Writers only insert into the outbox, in their own transactions, and
 * never wait on the chain; the chainer takes the chain lock, so the chain's
 * order is the order rows were chained, and ids follow it.
 */
@Injectable()
export class AuditChainer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AuditChainer');
  private running?: Promise<void>;
  /** Set by kick(); one that comes while a pass runs asks for another pass. */
  private kicked = false;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private failingSince: Date | null = null;

  private readonly pool: Pool;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUDIT_CHAIN_KEYS) private readonly keys: HmacKeyring,
  ) {
    this.pool = connectionPool(dataSource);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      void this.sweep();
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.closed = true;
    await this.drain();
  }

  /** Since when chaining fails, if it does: readiness reports it. */
  get failing(): Date | null {
    return this.failingSince;
  }

  /** Chains what is committed, within GATHER_MS; calls made meanwhile fold into the same pass, or the next. */
  kick(): void {
    this.kicked = true;
    if (!this.closed) this.start(GATHER_MS);
  }

  private start(gatherMs: number): void {
    if (this.running) return;
    this.running = this.gatherAndChain(gatherMs).then((chained) => {
      this.running = undefined;
      // Rows committed while the pass ran wait for the next one, gathered like the first.
      if (chained && this.kicked && !this.closed) this.start(GATHER_MS);
    });
  }

  private async gatherAndChain(gatherMs: number): Promise<boolean> {
    if (gatherMs > 0) await delay(gatherMs);
    this.kicked = false;
    return this.chainAll();
  }

  /** One cheap statement while idle, instead of a chaining transaction's two round trips. */
  private async sweep(): Promise<void> {
    if (this.running) return;
    try {
      const waiting = await this.dataSource.query<unknown[]>('SELECT 1 FROM audit_outbox LIMIT 1');
      if (waiting.length > 0 || this.failingSince) this.kick();
    } catch (error) {
      this.failed(error);
    }
  }

  /** Chains everything committed so far (tests, shutdown); stops early, without throwing, while it fails. */
  async drain(): Promise<void> {
    // The pass running now may have started before the rows to drain committed; the one after it has not.
    await this.running;
    if (!this.running) this.start(0);
    await this.running;
  }

  /** Moves batches until the outbox is empty; false, and no throw, when it fails. */
  private async chainAll(): Promise<boolean> {
    try {
      while ((await this.chainBatch()) === BATCH);
      this.recovered();
      return true;
    } catch (error) {
      this.failed(error);
      return false;
    }
  }

  /**
   * One transaction in two round trips: take the lock, read up to BATCH rows and the head; then move
   * the rows into audit_logs with their links, sign the new head and commit. Straight on a pool
   * connection, as simple queries of literal SQL: under load this runs every GATHER_MS, and every
   * round trip is CPU. Returns the rows moved.
   */
  private async chainBatch(): Promise<number> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      // The last two statements answer: the batch, then the head.
      const [moved, heads] = (await simpleQueries(client, TAKE_BATCH)).slice(-2);
      const pending = moved.rows as ChainedOutboxRow[];
      if (pending.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      pending.sort((a, b) => (BigInt(a.outbox_id) < BigInt(b.outbox_id) ? -1 : 1));
      const head = await headOf(heads.rows.at(0) as HeadRow | undefined, () => countChained(client));
      // Appending to a forged head and signing anew would launder the forgery: the rows wait instead.
      const verdict = head ? headVerdict(this.keys, head) : 'genuine';
      if (verdict !== 'genuine') throw new ForgedChainHeadError(verdict, head?.keyId);
      const links = this.link(pending, head);
      const last = links[links.length - 1];
      const key = this.keys.current;
      const newHead: ChainHead = {
        lastId: last.id,
        lastHash: last.hash,
        rowCount: (BigInt(head?.rowCount ?? '0') + BigInt(links.length)).toString(),
        keyId: key.id,
      };
      await simpleQueries(client, [moveStatement(links, key.id), headStatement(key.value, newHead), 'COMMIT']);
      return pending.length;
    } catch (error) {
      // A connection that cannot even roll back is dropped from the pool, not handed to the next caller.
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Ids, taken from the sequence with the rows, go out in outbox order, so the chain's order is the
   * ids'. Each row is hashed as it was read, its id and key id set in place (a copy of every row cost
   * more than its hash).
   */
  private link(pending: ChainedOutboxRow[], head: ChainHead | null): ChainLink[] {
    const sortedIds = pending.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let previous = head?.lastHash ?? GENESIS_HASH;
    const key = this.keys.current;
    return pending.map((row, index) => {
      row.id = sortedIds[index].toString();
      row.chain_key_id = key.id;
      const hash = chainHash(key.value, previous, row);
      const link = { outboxId: row.outbox_id, id: row.id, prevHash: previous, hash };
      previous = hash;
      return link;
    });
  }

  private failed(error: unknown): void {
    if (this.failingSince !== null) return;
    this.failingSince = new Date();
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof ForgedChainHeadError) this.logger.error(`audit records are held in the outbox: ${reason}`);
    else this.logger.warn(`audit records not chained yet, retrying: ${reason}`);
  }

  private recovered(): void {
    if (this.failingSince === null) return;
    this.failingSince = null;
    this.logger.log('audit records are chained again');
  }
}

/** The stored head and its signature (null for a head written before heads were signed). */
export interface StoredChainHead extends ChainHead {
  signature: string | null;
}

const HEAD_QUERY = 'SELECT last_id::text, last_hash, row_count::text, signature, key_id FROM audit_chain_head';

interface HeadRow {
  last_id: string;
  last_hash: string;
  row_count: string | null;
  signature: string | null;
  key_id: string;
}

export async function readHead(manager: EntityManager): Promise<StoredChainHead | null> {
  const heads = await manager.query<HeadRow[]>(HEAD_QUERY);
  return headOf(heads.at(0), async () => (await manager.query<{ count: string }[]>(COUNT_CHAINED))[0].count);
}

const COUNT_CHAINED = 'SELECT count(*)::text AS count FROM audit_logs';

async function countChained(client: PoolClient): Promise<string> {
  return (await client.query<{ count: string }>(COUNT_CHAINED)).rows[0].count;
}

/** A head written before heads were counted is counted once, as it stands. */
async function headOf(head: HeadRow | undefined, countRows: () => Promise<string>): Promise<StoredChainHead | null> {
  if (!head) return null;
  const rowCount = head.row_count ?? (await countRows());
  return { lastId: head.last_id, lastHash: head.last_hash, rowCount, keyId: head.key_id, signature: head.signature };
}

/**
 * Signed by the key its id names; a head from before heads were signed (neither count nor
 * signature) is taken as it is, once. 'unknown-key': AUDIT_CHAIN_KEY no longer lists that id.
 */
export function headVerdict(keys: HmacKeyring, head: StoredChainHead): 'genuine' | 'forged' | 'unknown-key' {
  if (head.signature === null) return 'genuine';
  const key = keys.find(head.keyId);
  if (key === undefined) return 'unknown-key';
  const expected = Buffer.from(signChainHead(key, head), 'hex');
  const actual = Buffer.from(head.signature, 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? 'genuine' : 'forged';
}

class ForgedChainHeadError extends Error {
  constructor(verdict: 'forged' | 'unknown-key', keyId: string | undefined) {
    super(
      verdict === 'forged'
        ? 'the audit chain head does not carry a valid signature: it was altered outside the chainer'
        : `the audit chain head is signed with key id "${keyId}", which AUDIT_CHAIN_KEY does not list`,
    );
  }
}

/**
 * What the first round trip of a batch sends, as one simple query. Only the chainer deletes outbox
 * rows, under the lock, so the rows read here are still there when the second round trip moves them.
 * The move commits synchronously: a head read once it commits may be exported as an anchor, and a
 * crash must not take back a state an auditor was shown.
 */
const TAKE_BATCH = [
  'BEGIN',
  `SELECT pg_advisory_xact_lock(hashtextextended(${sqlLiteral(CHAIN_LOCK)}, 0))`,
  `SELECT nextval('audit_logs_id_seq')::text AS id, batch.*
   FROM (SELECT outbox_id, ${AUDIT_RECORD_COLUMNS} FROM audit_outbox ORDER BY outbox_id LIMIT ${BATCH}) AS batch`,
  HEAD_QUERY,
];

/** An outbox row with the id it takes from the sequence (not yet in outbox order) and, once linked, its key id. */
type ChainedOutboxRow = AuditOutboxRow & { id: string; chain_key_id?: string };

/** Where an outbox row goes in the chain. */
interface ChainLink {
  outboxId: string;
  id: string;
  prevHash: string;
  hash: string;
}

/** Several statements in one round trip (no parameters, so literal SQL); pg answers one result per statement. */
async function simpleQueries(client: PoolClient, statements: readonly string[]): Promise<QueryResult[]> {
  const results = (await client.query(statements.join(';\n'))) as QueryResult | QueryResult[];
  return Array.isArray(results) ? results : [results];
}

const OUTBOX_RECORD_COLUMNS = AUDIT_RECORD_COLUMNS.split(', ')
  .map((column) => `outbox.${column}`)
  .join(', ');

/**
 * Moves the rows within PostgreSQL: audit_logs gets the very values the outbox stored (and the
 * chainer hashed), and only the links travel as literals, instead of every column of every row.
 */
function moveStatement(links: readonly ChainLink[], keyId: string): string {
  const values = links.map((link) =>
    rowLiteral([
      [link.outboxId, 'bigint'],
      [link.id, 'bigint'],
      [link.prevHash, 'text'],
      [link.hash, 'text'],
    ]),
  );
  return `WITH moved AS (
       DELETE FROM audit_outbox outbox USING (VALUES ${values.join(', ')}) AS link (outbox_id, id, prev_hash, hash)
       WHERE outbox.outbox_id = link.outbox_id
       RETURNING link.id, ${OUTBOX_RECORD_COLUMNS}, link.prev_hash, link.hash)
     INSERT INTO audit_logs (${AUDIT_COLUMNS}) SELECT moved.*, ${sqlLiteral(keyId)} FROM moved`;
}

function headStatement(key: string, head: ChainHead): string {
  const values = rowLiteral([
    [head.lastId, 'bigint'],
    [head.lastHash, 'text'],
    [head.rowCount, 'bigint'],
    [signChainHead(key, head), 'text'],
    [head.keyId, 'text'],
  ]);
  return `INSERT INTO audit_chain_head (singleton, last_id, last_hash, row_count, signature, key_id, updated_at)
     SELECT true, v.*, now() FROM (VALUES ${values}) AS v
     ON CONFLICT (singleton) DO UPDATE SET last_id = EXCLUDED.last_id, last_hash = EXCLUDED.last_hash,
       row_count = EXCLUDED.row_count, signature = EXCLUDED.signature, key_id = EXCLUDED.key_id, updated_at = now()`;
}
