import { Injectable } from '@nestjs/common';
import { escapeLiteral } from 'pg';
import type { EntityManager } from 'typeorm';
import { AUDIT_RECORD_COLUMNS, type AuditEntry } from './audit-entry';

/**
 * Inserts audit records into the outbox with one statement of literal SQL:
 * one that a transaction can send with its COMMIT in one round trip (a
 * simple query takes no parameters). Every value is quoted by pg's
 * escapeLiteral and cast to its column's type; entries are storable
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
      const values: [string | number | boolean | Date | null, string][] = [
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
      return `(${values.map(([value, type]) => `${literal(value)}::${type}`).join(', ')})`;
    });
    return `INSERT INTO audit_outbox (${AUDIT_RECORD_COLUMNS}) VALUES ${rows.join(', ')}`;
  }
}

function literal(value: string | number | boolean | Date | null): string {
  if (value === null) return 'NULL';
  return escapeLiteral(value instanceof Date ? value.toISOString() : String(value));
}
