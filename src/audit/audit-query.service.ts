import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AUDIT_COLUMNS, type AuditRow } from './audit-entry';
import { auditFilterSql } from './audit-filter';
import type {
  AuditFilterDto,
  AuditLogDto,
  AuditLogPageDto,
  AuditSummaryRowDto,
  AuditTimeRangeDto,
  ListAuditLogsQueryDto,
} from './dto/audit-query.dto';

const EXPORT_BATCH = 1000;
const CSV_COLUMNS: (keyof AuditLogDto)[] = [
  'id',
  'createdAt',
  'userId',
  'username',
  'apiKeyId',
  'actionType',
  'resourceType',
  'resourceId',
  'ipAddress',
  'requestMethod',
  'requestPath',
  'responseStatus',
  'executionTimeMs',
  'success',
  'allowed',
  'errorMessage',
  'errorCode',
  'traceId',
  'actionDetails',
];

@Injectable()
export class AuditQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Newest first, by id, which follows the chain: pages stay stable while rows are appended. */
  async list(query: ListAuditLogsQueryDto): Promise<AuditLogPageDto> {
    const rows = await this.page(query, query.cursor, query.limit + 1);
    const items = rows.slice(0, query.limit).map(toDto);
    return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null, limit: query.limit };
  }

  /** Every matching row, newest first, read in batches as the consumer pulls, never all at once. */
  export(filter: AuditFilterDto, format: 'ndjson' | 'csv'): Readable {
    const pages = this.allPages(filter);
    return Readable.from(
      (async function* lines() {
        if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`;
        for await (const rows of pages) {
          yield rows
            .map((row) => (format === 'csv' ? csvLine(toDto(row)) : `${JSON.stringify(toDto(row))}\n`))
            .join('');
        }
      })(),
    );
  }

  /** The seed's security_audit_summary: per UTC day and action, counts, success rate, mean and p95 time. */
  async summary(range: AuditTimeRangeDto): Promise<AuditSummaryRowDto[]> {
    const { where, params } = auditFilterSql(range);
    const rows = await this.dataSource.query<
      {
        day: string;
        action_type: string;
        total: string;
        succeeded: string;
        avg_ms: number | null;
        p95_ms: number | null;
      }[]
    >(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, action_type,
              count(*) AS total, count(*) FILTER (WHERE success) AS succeeded,
              avg(execution_time_ms)::float8 AS avg_ms,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY execution_time_ms)::float8 AS p95_ms
         FROM audit_logs WHERE ${where}
        GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    );
    return rows.map((row) => {
      const total = Number(row.total);
      const succeeded = Number(row.succeeded);
      return {
        day: row.day,
        actionType: row.action_type,
        total,
        succeeded,
        failed: total - succeeded,
        successRate: total === 0 ? 0 : succeeded / total,
        avgExecutionTimeMs: row.avg_ms === null ? null : Math.round(row.avg_ms * 100) / 100,
        p95ExecutionTimeMs: row.p95_ms,
      };
    });
  }

  private async *allPages(filter: AuditFilterDto): AsyncGenerator<AuditRow[]> {
    let cursor: string | undefined;
    for (;;) {
      const rows = await this.page(filter, cursor, EXPORT_BATCH);
      if (rows.length === 0) return;
      yield rows;
      cursor = rows[rows.length - 1].id;
      if (rows.length < EXPORT_BATCH) return;
    }
  }

  private page(filter: AuditFilterDto, cursor: string | undefined, limit: number): Promise<AuditRow[]> {
    const { where, params } = auditFilterSql(filter);
    const beforeCursor = cursor === undefined ? '' : ` AND id < $${params.length + 1}`;
    const values = cursor === undefined ? [...params, limit] : [...params, cursor, limit];
    return this.dataSource.query<AuditRow[]>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_logs WHERE ${where}${beforeCursor} ORDER BY id DESC LIMIT $${values.length}`,
      values,
    );
  }
}

function toDto(row: AuditRow): AuditLogDto {
  return {
    id: row.id,
    createdAt: row.created_at.toISOString(),
    userId: row.user_id,
    username: row.username,
    sessionId: row.session_id,
    apiKeyId: row.api_key_id,
    actionType: row.action_type,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    actionDetails: row.action_details,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    requestMethod: row.request_method,
    requestPath: row.request_path,
    responseStatus: row.response_status,
    executionTimeMs: row.execution_time_ms,
    success: row.success,
    allowed: row.allowed,
    errorMessage: row.error_message,
    errorCode: row.error_code,
    metadata: row.metadata,
    traceId: row.trace_id,
    hash: row.hash,
  };
}

/** RFC 4180 quoting, and a leading quote on values a spreadsheet would run as a formula. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(dto: AuditLogDto): string {
  return `${CSV_COLUMNS.map((column) => csvField(dto[column])).join(',')}\n`;
}
