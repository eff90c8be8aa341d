import {
  storableInt,
  storableIp,
  storableJson,
  storableOptionalText,
  storableText,
  storableUuid,
} from '../database/storable-value.util';

/** One audit record as the application hands it to the writer. */
export interface AuditEntry {
  createdAt: Date;
  userId: string | null;
  username: string | null;
  sessionId: string | null;
  apiKeyId: string | null;
  actionType: string;
  resourceType: string | null;
  resourceId: string | null;
  actionDetails: Record<string, unknown> | null;
  ipAddress: string | null;
  userAgent: string | null;
  requestMethod: string | null;
  requestPath: string | null;
  responseStatus: number | null;
  executionTimeMs: number | null;
  success: boolean;
  /** The permission decision: false when a guard refused, null when none was made. */
  allowed: boolean | null;
  errorMessage: string | null;
  /** The error body's `code` (a module exception's, e.g. LAST_ADMIN), so two refusals with one status differ. */
  errorCode: string | null;
  metadata: Record<string, unknown> | null;
  traceId: string | null;
}

/** A stored record, as PostgreSQL returns it (bigint ids come back as strings). */
export interface AuditRow {
  id: string;
  created_at: Date;
  user_id: string | null;
  username: string | null;
  session_id: string | null;
  api_key_id: string | null;
  action_type: string;
  resource_type: string | null;
  resource_id: string | null;
  action_details: unknown;
  ip_address: string | null;
  user_agent: string | null;
  request_method: string | null;
  request_path: string | null;
  response_status: number | null;
  execution_time_ms: number | null;
  success: boolean;
  allowed: boolean | null;
  error_message: string | null;
  error_code: string | null;
  metadata: unknown;
  trace_id: string | null;
  prev_hash: string;
  hash: string;
  /** Which AUDIT_CHAIN_KEY entry made `hash`. */
  chain_key_id: string;
}

export const AUDIT_COLUMNS =
  'id, created_at, user_id, username, session_id, api_key_id, action_type, resource_type, resource_id, ' +
  'action_details, ip_address, user_agent, request_method, request_path, response_status, execution_time_ms, ' +
  'success, allowed, error_message, error_code, metadata, trace_id, prev_hash, hash, chain_key_id';

export const SYSTEM_ACTOR = 'system';

/** The columns an outbox row shares with its audit_logs row: all but the id and the chain links. */
export const AUDIT_RECORD_COLUMNS =
  'created_at, user_id, username, session_id, api_key_id, action_type, resource_type, resource_id, ' +
  'action_details, ip_address, user_agent, request_method, request_path, response_status, execution_time_ms, ' +
  'success, allowed, error_message, error_code, metadata, trace_id';

/** An outbox row as PostgreSQL returns it: the record in its stored forms, awaiting its place in the chain. */
export type AuditOutboxRow = Omit<AuditRow, 'id' | 'prev_hash' | 'hash' | 'chain_key_id'> & { outbox_id: string };

/**
 * The entry with every value made storable, whoever supplied it: text without
 * NUL or lone surrogates and capped, json bounded, the ip a real address or
 * null, integers in range. One hostile request's row can then never be
 * refused, nor fail a batch or a transaction it shares.
 */
export function storableAuditEntry(entry: AuditEntry): AuditEntry {
  return {
    ...entry,
    userId: storableUuid(entry.userId),
    sessionId: storableUuid(entry.sessionId),
    apiKeyId: storableUuid(entry.apiKeyId),
    username: storableOptionalText(entry.username, 256),
    actionType: storableText(entry.actionType, 200),
    resourceType: storableOptionalText(entry.resourceType, 100),
    resourceId: storableOptionalText(entry.resourceId, 200),
    actionDetails: entry.actionDetails === null ? null : (storableJson(entry.actionDetails) as Record<string, unknown>),
    ipAddress: storableIp(entry.ipAddress),
    userAgent: storableOptionalText(entry.userAgent, 512),
    requestMethod: storableOptionalText(entry.requestMethod, 16),
    requestPath: storableOptionalText(entry.requestPath, 2048),
    responseStatus: storableInt(entry.responseStatus),
    executionTimeMs: storableInt(entry.executionTimeMs),
    errorMessage: storableOptionalText(entry.errorMessage, 1000),
    errorCode: storableOptionalText(entry.errorCode, 100),
    metadata: entry.metadata === null ? null : (storableJson(entry.metadata) as Record<string, unknown>),
    traceId: storableOptionalText(entry.traceId, 128),
  };
}
