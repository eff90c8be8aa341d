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
  metadata: unknown;
  trace_id: string | null;
  prev_hash: string;
  hash: string;
}

export const AUDIT_COLUMNS =
  'id, created_at, user_id, username, session_id, api_key_id, action_type, resource_type, resource_id, ' +
  'action_details, ip_address, user_agent, request_method, request_path, response_status, execution_time_ms, ' +
  'success, allowed, error_message, metadata, trace_id, prev_hash, hash';

export const SYSTEM_ACTOR = 'system';
