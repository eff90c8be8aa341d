import { createHmac } from 'node:crypto';
import { IMPLICIT_CHAIN_KEY_ID } from '../config/audit.config';
import type { AuditRow } from './audit-entry';

/** The prev_hash of the very first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so equal values always serialise alike (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, sortKeys(record[key])]),
  );
}

/**
 * The link of one record: an HMAC (keyed, so rewriting history needs the key,
 * not just database access) over the previous link and every column of the
 * record exactly as PostgreSQL stored it.
 */
/** A record's stored columns; rows chained before error_code or chain_key_id existed have none. */
export type ChainedColumns = Omit<AuditRow, 'prev_hash' | 'hash' | 'error_code' | 'chain_key_id'> & {
  error_code?: string | null;
  chain_key_id?: string;
};

/**
 * The key id takes part in what is hashed or signed, so that relabelling a record (or the head, or a
 * checkpoint) is caught, but only when it is not the implicit id: everything chained before key ids
 * existed carries the implicit id and was hashed without one, and must still verify. Relabelling to
 * or from the implicit id is caught all the same, since the link is then recomputed under another
 * key and over another input.
 */
function keyIdPart(keyId: string | undefined): string[] {
  return keyId === undefined || keyId === IMPLICIT_CHAIN_KEY_ID ? [] : [keyId];
}

export function chainHash(key: string, previousHash: string, row: ChainedColumns): string {
  const content = [
    row.id,
    row.created_at.toISOString(),
    row.user_id,
    row.username,
    row.session_id,
    row.api_key_id,
    row.action_type,
    row.resource_type,
    row.resource_id,
    canonicalJson(row.action_details),
    row.ip_address,
    row.user_agent,
    row.request_method,
    row.request_path,
    row.response_status,
    row.execution_time_ms,
    row.success,
    row.allowed,
    row.error_message,
    canonicalJson(row.metadata),
    row.trace_id,
    // Added after the first rows were chained: only present values take part, so older links still verify.
    // With an explicit key id the error code is always there (null or not), so the two cannot be confused.
    ...(keyIdPart(row.chain_key_id).length > 0
      ? [row.error_code ?? null, ...keyIdPart(row.chain_key_id)]
      : row.error_code === null || row.error_code === undefined
        ? []
        : [row.error_code]),
  ];
  return createHmac('sha256', key).update(previousHash).update('\n').update(JSON.stringify(content)).digest('hex');
}

/** The newest link, its position, how many records the chain has ever held, and the id of the key that signs it. */
export interface ChainHead {
  lastId: string;
  lastHash: string;
  rowCount: string;
  keyId: string;
}

/** The head's signature: rewinding the head (to hide deleted newest rows) needs the key. */
export function signChainHead(key: string, head: ChainHead): string {
  const fields = [head.lastId, head.lastHash, head.rowCount, ...keyIdPart(head.keyId)];
  return createHmac('sha256', key)
    .update(`head\n${fields.join('\n')}`)
    .digest('hex');
}

/** Where retention left the chain: the first kept record, the link it continues, and how many rows went before it. */
export interface ChainCheckpoint {
  firstKeptId: string;
  firstKeptPrevHash: string;
  rowsDropped: string;
  keyId: string;
}

export function signChainCheckpoint(key: string, checkpoint: ChainCheckpoint): string {
  const fields = [
    checkpoint.firstKeptId,
    checkpoint.firstKeptPrevHash,
    checkpoint.rowsDropped,
    ...keyIdPart(checkpoint.keyId),
  ];
  return createHmac('sha256', key)
    .update(`checkpoint\n${fields.join('\n')}`)
    .digest('hex');
}
