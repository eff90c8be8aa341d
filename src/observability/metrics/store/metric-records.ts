/** One sampled HTTP request, as stored in http_request_metrics. */
export interface HttpRequestRecord {
  recordedAt: Date;
  method: string;
  /** The route template (`/api/v1/agents/:id`), never the raw URL. */
  route: string;
  statusCode: number;
  durationMs: number;
  /** How many requests this record stands for: 1 / sample rate, or 1 when it was kept for being an error or slow. */
  weight: number;
}

/** One agent run, as stored in agent_run_metrics. */
export interface AgentRunRecord {
  recordedAt: Date;
  agentId: string;
  startedAt: Date;
  durationMs: number;
  findings: number;
  success: boolean;
}

/** One call to a paid external API, as stored in external_api_call_metrics. */
export interface ExternalApiCallRecord {
  recordedAt: Date;
  api: string;
  durationMs: number;
  /** The API's answer (an HTTP status, usually); null when it never answered. */
  statusCode: number | null;
  success: boolean;
  /** Decimal string, exact, as numeric(18, 6) keeps it. */
  cost: string;
}
