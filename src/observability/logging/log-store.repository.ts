import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { storableJson, storableOptionalText, storableText } from '../../database/storable-value.util';
import type { LogLevel } from '../../config/logging.config';
import { type LogFilter, logFilterSql } from './log-filter';
import type { LogRecord } from './log-sink.transport';

export const APP_LOGS_TABLE = 'app_logs';

export interface LogRow {
  id: string;
  created_at: Date;
  level: LogLevel;
  message: string;
  module: string | null;
  trace_id: string | null;
  context: unknown;
}

/** The stored log entries (table app_logs, range-partitioned by month). */
@Injectable()
export class LogStoreRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One statement for the whole batch. */
  async insert(records: readonly LogRecord[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO app_logs (created_at, level, message, module, trace_id, context)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])`,
      [
        records.map((record) => record.createdAt),
        records.map((record) => record.level),
        records.map((record) => storableText(record.message, 10_000)),
        records.map((record) => storableOptionalText(record.module, 200)),
        records.map((record) => storableOptionalText(record.traceId, 128)),
        records.map((record) =>
          record.context === undefined || record.context === null ? null : JSON.stringify(storableJson(record.context)),
        ),
      ],
    );
  }

  /** One page, newest first, and the number of entries matching the filter. */
  async page(filter: LogFilter, limit: number, offset: number): Promise<{ rows: LogRow[]; total: number }> {
    const { where, params } = logFilterSql(filter);
    const [rows, counted] = await Promise.all([
      this.dataSource.query<LogRow[]>(
        `SELECT id, created_at, level, message, module, trace_id, context FROM app_logs WHERE ${where}
          ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit, offset],
      ),
      this.dataSource.query<{ total: string }[]>(`SELECT count(*) AS total FROM app_logs WHERE ${where}`, params),
    ]);
    return { rows, total: Number(counted[0].total) };
  }
}
