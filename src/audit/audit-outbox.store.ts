import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AUDIT_RECORD_COLUMNS, type AuditEntry } from './audit-entry';

/**
 * Inserts audit records into the outbox with one statement: the columns go
 * as arrays and unnest() turns them back into rows, in order.
 */
@Injectable()
export class AuditOutboxStore {
  async insert(manager: EntityManager, entries: readonly AuditEntry[]): Promise<void> {
    const column = <K extends keyof AuditEntry>(name: K) => entries.map((entry) => entry[name]);
    const json = (name: 'actionDetails' | 'metadata') =>
      entries.map((entry) => (entry[name] === null ? null : JSON.stringify(entry[name])));
    await manager.query(
      `INSERT INTO audit_outbox (${AUDIT_RECORD_COLUMNS})
       SELECT * FROM unnest($1::timestamptz[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[],
                            $7::text[], $8::text[], $9::jsonb[], $10::inet[], $11::text[], $12::text[], $13::text[],
                            $14::int[], $15::int[], $16::boolean[], $17::boolean[], $18::text[], $19::text[],
                            $20::jsonb[], $21::text[])`,
      [
        column('createdAt'),
        column('userId'),
        column('username'),
        column('sessionId'),
        column('apiKeyId'),
        column('actionType'),
        column('resourceType'),
        column('resourceId'),
        json('actionDetails'),
        column('ipAddress'),
        column('userAgent'),
        column('requestMethod'),
        column('requestPath'),
        column('responseStatus'),
        column('executionTimeMs'),
        column('success'),
        column('allowed'),
        column('errorMessage'),
        column('errorCode'),
        json('metadata'),
        column('traceId'),
      ],
    );
  }
}
