import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppendQueue } from '../../database/append-store/append-queue';
import { type NewSecurityEvent, storableSecurityEvent } from './security-event';

export const SECURITY_EVENTS_TABLE = 'security_events';

const QUEUE_OPTIONS = {
  bufferMax: 10_000,
  batchMax: 500,
  flushIntervalMs: 50,
  retryDelayMs: 500,
  // Evidence: a full buffer makes the (off-request) recorder wait rather than lose an event.
  whenFull: 'wait',
} as const;

/**
 * Writes security events through the shared append store: batched, bounded,
 * values made storable before they are queued, a refused row isolated.
 */
@Injectable()
export class SecurityEventStore implements OnApplicationShutdown {
  private readonly queue: AppendQueue<NewSecurityEvent>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.queue = new AppendQueue(
      { name: SECURITY_EVENTS_TABLE, insert: (rows) => insertEvents(dataSource, rows) },
      QUEUE_OPTIONS,
    );
  }

  /** Queues the event; resolves once it is queued. */
  record(event: NewSecurityEvent): Promise<void> {
    return this.queue.push(storableSecurityEvent(event));
  }

  /** Resolves once the event is written (for callers that answer only after that). */
  recordNow(event: NewSecurityEvent): Promise<void> {
    return this.queue.append(storableSecurityEvent(event));
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  onApplicationShutdown(): Promise<void> {
    return this.queue.close();
  }
}

async function insertEvents(dataSource: DataSource, rows: readonly NewSecurityEvent[]): Promise<void> {
  const column = <K extends keyof NewSecurityEvent>(name: K) => rows.map((row) => row[name] ?? null);
  const json = (name: 'details' | 'metadata') => rows.map((row) => (row[name] ? JSON.stringify(row[name]) : null));
  await dataSource.query(
    `INSERT INTO security_events (event_type, severity, source, user_id, session_id, event_details, ip_address,
                                  user_agent, threat_level, metadata, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::inet[],
                          $8::text[], $9::text[], $10::jsonb[], $11::timestamptz[])`,
    [
      column('eventType'),
      column('severity'),
      column('source'),
      column('userId'),
      column('sessionId'),
      json('details'),
      column('ip'),
      column('userAgent'),
      column('threatLevel'),
      json('metadata'),
      column('createdAt'),
    ],
  );
}
