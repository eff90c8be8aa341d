import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AUDIT_COLUMNS, type AuditEntry, type AuditRow } from './audit-entry';
import { AUDIT_CHAIN_KEY } from './audit-chain-key.provider';
import { chainHash, GENESIS_HASH } from './hash-chain';

const CHAIN_LOCK = 'sentinel:audit-chain';

/**
 * Appends records to the one hash chain. Each batch runs in a transaction
 * holding an advisory lock, so instances append one after another and ids
 * follow chain order. Rows are inserted first and hashed from what
 * PostgreSQL returns (its jsonb, inet and timestamp forms), then linked, so
 * verification later hashes exactly the same values.
 */
@Injectable()
export class AuditChainRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUDIT_CHAIN_KEY) private readonly key: string,
  ) {}

  append(entries: AuditEntry[]): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [CHAIN_LOCK]);
      const head = await manager.query<{ last_hash: string }[]>('SELECT last_hash FROM audit_chain_head');
      const rows = await this.insert(manager, entries);
      let previous = head[0]?.last_hash ?? GENESIS_HASH;
      const links = rows.map((row) => {
        const hash = chainHash(this.key, previous, row);
        const link = { id: row.id, createdAt: row.created_at, prevHash: previous, hash };
        previous = hash;
        return link;
      });
      await manager.query(
        `UPDATE audit_logs AS log SET prev_hash = link.prev_hash, hash = link.hash
           FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[]) AS link(id, created_at, prev_hash, hash)
          WHERE log.id = link.id AND log.created_at = link.created_at`,
        [links.map((l) => l.id), links.map((l) => l.createdAt), links.map((l) => l.prevHash), links.map((l) => l.hash)],
      );
      const last = links[links.length - 1];
      await manager.query(
        `INSERT INTO audit_chain_head (singleton, last_id, last_hash, updated_at) VALUES (true, $1, $2, now())
         ON CONFLICT (singleton) DO UPDATE SET last_id = EXCLUDED.last_id, last_hash = EXCLUDED.last_hash, updated_at = now()`,
        [last.id, last.hash],
      );
    });
  }

  private async insert(manager: EntityManager, entries: AuditEntry[]): Promise<AuditRow[]> {
    const column = <K extends keyof AuditEntry>(name: K) => entries.map((entry) => entry[name]);
    const json = (name: 'actionDetails' | 'metadata') =>
      entries.map((entry) => (entry[name] === null ? null : JSON.stringify(entry[name])));
    const rows = await manager.query<AuditRow[]>(
      `INSERT INTO audit_logs (${AUDIT_COLUMNS})
       SELECT nextval('audit_logs_id_seq'), created_at, user_id, username, session_id, api_key_id, action_type,
              resource_type, resource_id, action_details, ip_address, user_agent, request_method, request_path,
              response_status, execution_time_ms, success, allowed, error_message, metadata, trace_id, '', ''
         FROM unnest($1::timestamptz[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[], $7::text[],
                     $8::text[], $9::jsonb[], $10::inet[], $11::text[], $12::text[], $13::text[], $14::int[],
                     $15::int[], $16::boolean[], $17::boolean[], $18::text[], $19::jsonb[], $20::text[])
              WITH ORDINALITY AS entry(created_at, user_id, username, session_id, api_key_id, action_type,
                     resource_type, resource_id, action_details, ip_address, user_agent, request_method,
                     request_path, response_status, execution_time_ms, success, allowed, error_message, metadata,
                     trace_id, position)
        ORDER BY position
       RETURNING ${AUDIT_COLUMNS}`,
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
        json('metadata'),
        column('traceId'),
      ],
    );
    return rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }
}
