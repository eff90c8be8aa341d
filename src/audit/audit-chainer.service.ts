import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { HmacKeyring } from '../common/keyring/hmac-keyring';
import { AUDIT_CHAIN_KEYS } from './audit-chain-key.provider';
import { AUDIT_COLUMNS, AUDIT_RECORD_COLUMNS, type AuditOutboxRow, type AuditRow } from './audit-entry';
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
 * Moves committed outbox rows into audit_logs, linking each into the HMAC
 * chain. Writers only insert into the outbox, in their own transactions, and
 * never wait on the chain; the chainer takes the chain lock, so the chain's
 * order is the order rows were chained, and ids follow it.
 */
@Injectable()
export class AuditChainer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AuditChainer');
  private running?: Promise<void>;
  /** Counts calls to kick(): one that comes while a pass runs asks for another pass. */
  private kicks = 0;
  private timer?: NodeJS.Timeout;
  private failingSince: Date | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUDIT_CHAIN_KEYS) private readonly keys: HmacKeyring,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      void this.sweep();
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
  }

  /** Since when chaining fails, if it does: readiness reports it. */
  get failing(): Date | null {
    return this.failingSince;
  }

  /** Chains what is committed, soon; calls made while a pass runs fold into one more pass. */
  kick(): void {
    this.kicks++;
    if (this.running) return;
    this.running = this.passes().finally(() => {
      this.running = undefined;
    });
  }

  /** One cheap statement while idle, instead of a chaining transaction's four. */
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
    await this.running;
    this.kick();
    await this.running;
  }

  private async passes(): Promise<void> {
    let seen: number;
    do {
      seen = this.kicks;
      try {
        while ((await this.chainBatch()) === BATCH);
        this.recovered();
      } catch (error) {
        this.failed(error);
        return;
      }
    } while (this.kicks !== seen);
  }

  /** One transaction: take the lock, move up to BATCH rows, link them, sign the new head. Returns rows moved. */
  private chainBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [CHAIN_LOCK]);
      // TypeORM answers a DELETE with [rows, affected count].
      const [pending] = await manager.query<[AuditOutboxRow[], number]>(
        `DELETE FROM audit_outbox WHERE outbox_id IN (SELECT outbox_id FROM audit_outbox ORDER BY outbox_id LIMIT $1)
         RETURNING outbox_id, ${AUDIT_RECORD_COLUMNS}`,
        [BATCH],
      );
      if (pending.length === 0) return 0;
      pending.sort((a, b) => (BigInt(a.outbox_id) < BigInt(b.outbox_id) ? -1 : 1));
      const head = await readHead(manager);
      // Appending to a forged head and signing anew would launder the forgery: the rows wait instead.
      const verdict = head ? headVerdict(this.keys, head) : 'genuine';
      if (verdict !== 'genuine') throw new ForgedChainHeadError(verdict, head?.keyId);
      const rows = await this.link(manager, pending, head);
      await insertRows(manager, rows);
      const last = rows[rows.length - 1];
      await writeHead(manager, this.keys.current.value, {
        lastId: last.id,
        lastHash: last.hash,
        rowCount: (BigInt(head?.rowCount ?? '0') + BigInt(rows.length)).toString(),
        keyId: this.keys.current.id,
      });
      return pending.length;
    });
  }

  private async link(manager: EntityManager, pending: AuditOutboxRow[], head: ChainHead | null): Promise<AuditRow[]> {
    const ids = await manager.query<{ id: string }[]>(
      "SELECT nextval('audit_logs_id_seq')::text AS id FROM generate_series(1, $1)",
      [pending.length],
    );
    const sortedIds = ids.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let previous = head?.lastHash ?? GENESIS_HASH;
    const key = this.keys.current;
    return pending.map(({ outbox_id: _outboxId, ...record }, index) => {
      const unlinked = { ...record, id: sortedIds[index].toString(), chain_key_id: key.id };
      const hash = chainHash(key.value, previous, unlinked);
      const row: AuditRow = { ...unlinked, prev_hash: previous, hash };
      previous = hash;
      return row;
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

export async function readHead(manager: EntityManager): Promise<StoredChainHead | null> {
  const heads = await manager.query<
    { last_id: string; last_hash: string; row_count: string | null; signature: string | null; key_id: string }[]
  >('SELECT last_id::text, last_hash, row_count::text, signature, key_id FROM audit_chain_head');
  const head = heads.at(0);
  if (!head) return null;
  // A head written before heads were counted: count once, as it stands.
  const rowCount =
    head.row_count ??
    (await manager.query<{ count: string }[]>('SELECT count(*)::text AS count FROM audit_logs'))[0].count;
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

async function writeHead(manager: EntityManager, key: string, head: ChainHead): Promise<void> {
  await manager.query(
    `INSERT INTO audit_chain_head (singleton, last_id, last_hash, row_count, signature, key_id, updated_at)
     VALUES (true, $1, $2, $3, $4, $5, now())
     ON CONFLICT (singleton) DO UPDATE SET last_id = EXCLUDED.last_id, last_hash = EXCLUDED.last_hash,
       row_count = EXCLUDED.row_count, signature = EXCLUDED.signature, key_id = EXCLUDED.key_id, updated_at = now()`,
    [head.lastId, head.lastHash, head.rowCount, signChainHead(key, head), head.keyId],
  );
}

async function insertRows(manager: EntityManager, rows: AuditRow[]): Promise<void> {
  const column = <K extends keyof AuditRow>(name: K) => rows.map((row) => row[name]);
  const json = (name: 'action_details' | 'metadata') =>
    rows.map((row) => (row[name] === null ? null : JSON.stringify(row[name])));
  await manager.query(
    `INSERT INTO audit_logs (${AUDIT_COLUMNS})
     SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::uuid[], $4::text[], $5::uuid[], $6::uuid[],
                          $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::inet[], $12::text[], $13::text[],
                          $14::text[], $15::int[], $16::int[], $17::boolean[], $18::boolean[], $19::text[],
                          $20::text[], $21::jsonb[], $22::text[], $23::text[], $24::text[], $25::text[])`,
    [
      column('id'),
      column('created_at'),
      column('user_id'),
      column('username'),
      column('session_id'),
      column('api_key_id'),
      column('action_type'),
      column('resource_type'),
      column('resource_id'),
      json('action_details'),
      column('ip_address'),
      column('user_agent'),
      column('request_method'),
      column('request_path'),
      column('response_status'),
      column('execution_time_ms'),
      column('success'),
      column('allowed'),
      column('error_message'),
      column('error_code'),
      json('metadata'),
      column('trace_id'),
      column('prev_hash'),
      column('hash'),
      column('chain_key_id'),
    ],
  );
}
