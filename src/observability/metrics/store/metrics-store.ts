import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { storableText } from '../../../database/storable-value.util';
import type { AgentRunRecord, ExternalApiCallRecord, HttpRequestRecord } from './metric-records';

export const HTTP_REQUEST_METRICS = 'http_request_metrics';
export const AGENT_RUN_METRICS = 'agent_run_metrics';
export const EXTERNAL_API_CALL_METRICS = 'external_api_call_metrics';
export const METRIC_TABLES = [HTTP_REQUEST_METRICS, AGENT_RUN_METRICS, EXTERNAL_API_CALL_METRICS] as const;

/**
 * Writes batches of metric records, one statement per batch: the columns go
 * as arrays and unnest() turns them back into rows, so the statement and its
 * parameter count stay the same whatever the batch size.
 */
@Injectable()
export class MetricsStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insertHttpRequests(records: readonly HttpRequestRecord[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${HTTP_REQUEST_METRICS} (recorded_at, method, route, status_code, duration_ms, weight)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::smallint[], $5::float8[], $6::real[])`,
      [
        records.map((record) => record.recordedAt),
        records.map((record) => record.method),
        records.map((record) => storableText(record.route, 512)),
        records.map((record) => record.statusCode),
        records.map((record) => record.durationMs),
        records.map((record) => record.weight),
      ],
    );
  }

  async insertAgentRuns(records: readonly AgentRunRecord[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${AGENT_RUN_METRICS} (recorded_at, agent_id, started_at, duration_ms, findings, success)
       SELECT * FROM unnest($1::timestamptz[], $2::uuid[], $3::timestamptz[], $4::float8[], $5::int[], $6::bool[])`,
      [
        records.map((record) => record.recordedAt),
        records.map((record) => record.agentId),
        records.map((record) => record.startedAt),
        records.map((record) => record.durationMs),
        records.map((record) => record.findings),
        records.map((record) => record.success),
      ],
    );
  }

  async insertExternalApiCalls(records: readonly ExternalApiCallRecord[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${EXTERNAL_API_CALL_METRICS} (recorded_at, api, duration_ms, status_code, success, cost)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::float8[], $4::int[], $5::bool[], $6::numeric[])`,
      [
        records.map((record) => record.recordedAt),
        records.map((record) => storableText(record.api, 200)),
        records.map((record) => record.durationMs),
        records.map((record) => record.statusCode),
        records.map((record) => record.success),
        records.map((record) => record.cost),
      ],
    );
  }
}
