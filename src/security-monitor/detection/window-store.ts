import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { storableOptionalText, storableText } from '../../database/storable-value.util';

/** One observation, as counted: per signal and subject (an ip, a user id, a username), with what varied. */
export interface WindowHit {
  signal: string;
  subject: string;
  /** What spraying and stuffing count distinct values of: the username tried, the ip it came from, a status. */
  attribute: string | null;
  /** Shown as evidence: a path, a refused key's public id. */
  detail: string | null;
  userAgent: string | null;
  at: Date;
}

export interface WindowCount {
  hits: number;
  distinct: number;
  /** When the policy last fired for this subject: only later signals count toward the next firing. */
  lastFiredAt: Date | null;
}

export interface WindowEvidence {
  attributes: string[];
  details: string[];
  userAgents: string[];
  firstAt: Date | null;
  lastAt: Date | null;
}

const EVIDENCE_LIMIT = 20;

/**
 * Sliding windows kept in PostgreSQL, so that every instance counts the same
 * signals: a burst split across three instances fills one window.
 */
@Injectable()
export class WindowStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async add(hits: readonly WindowHit[]): Promise<void> {
    if (hits.length === 0) return;
    const column = <K extends keyof WindowHit>(name: K) => hits.map((hit) => hit[name]);
    await this.dataSource.query(
      `INSERT INTO security_window_hits (signal, subject, attribute, detail, user_agent, at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])`,
      [
        column('signal'),
        hits.map((hit) => storableText(hit.subject, 200)),
        hits.map((hit) => storableOptionalText(hit.attribute, 200)),
        hits.map((hit) => storableOptionalText(hit.detail, 300)),
        hits.map((hit) => storableOptionalText(hit.userAgent, 300)),
        column('at'),
      ],
    );
  }

  /** Signals of the subject since `since` and since the policy last fired for it; `attributes` narrows them. */
  async count(
    signal: string,
    subject: string,
    policyId: string,
    since: Date,
    attributes?: readonly string[],
  ): Promise<WindowCount> {
    const [row] = await this.dataSource.query<{ hits: number; distinct: number; last_fired_at: Date | null }[]>(
      `WITH fired AS (SELECT fired_at FROM security_rule_firings WHERE policy_id = $3 AND subject = $2)
       SELECT count(*)::int AS hits, count(DISTINCT attribute)::int AS distinct,
              (SELECT fired_at FROM fired) AS last_fired_at
         FROM security_window_hits
        WHERE signal = $1 AND subject = $2
          AND at > greatest($4::timestamptz, coalesce((SELECT fired_at FROM fired), '-infinity'))
          AND ($5::text[] IS NULL OR attribute = ANY($5::text[]))`,
      [signal, storableText(subject, 200), policyId, since, attributes ?? null],
    );
    return { hits: row.hits, distinct: row.distinct, lastFiredAt: row.last_fired_at };
  }

  /**
   * Records that the policy fired for the subject, if it did not since
   * `lastFiredAt` (compare-and-set): of several instances counting the same
   * full window, exactly one answers it.
   */
  async claim(policyId: string, subject: string, at: Date, lastFiredAt: Date | null): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `INSERT INTO security_rule_firings AS firing (policy_id, subject, fired_at) VALUES ($1, $2, $3)
       ON CONFLICT (policy_id, subject) DO UPDATE SET fired_at = EXCLUDED.fired_at
        WHERE firing.fired_at IS NOT DISTINCT FROM $4::timestamptz
       RETURNING 1`,
      [policyId, storableText(subject, 200), at, lastFiredAt],
    );
    return rows.length === 1;
  }

  async evidence(signal: string, subject: string, since: Date): Promise<WindowEvidence> {
    const [row] = await this.dataSource.query<
      {
        attributes: string[] | null;
        details: string[] | null;
        user_agents: string[] | null;
        first_at: Date | null;
        last_at: Date | null;
      }[]
    >(
      `SELECT (array_agg(DISTINCT attribute) FILTER (WHERE attribute IS NOT NULL))[1:${EVIDENCE_LIMIT}] AS attributes,
              (array_agg(DISTINCT detail) FILTER (WHERE detail IS NOT NULL))[1:${EVIDENCE_LIMIT}] AS details,
              (array_agg(DISTINCT user_agent) FILTER (WHERE user_agent IS NOT NULL))[1:${EVIDENCE_LIMIT}] AS user_agents,
              min(at) AS first_at, max(at) AS last_at
         FROM security_window_hits WHERE signal = $1 AND subject = $2 AND at > $3`,
      [signal, storableText(subject, 200), since],
    );
    return {
      attributes: row.attributes ?? [],
      details: row.details ?? [],
      userAgents: row.user_agents ?? [],
      firstAt: row.first_at,
      lastAt: row.last_at,
    };
  }

  /** True when the user had logged in before, and never from this ip; remembers the ip either way. */
  async isNewIpForUser(userId: string, ip: string, at: Date): Promise<boolean> {
    const [row] = await this.dataSource.query<{ inserted: boolean; known: number }[]>(
      `WITH known AS (SELECT count(*)::int AS n FROM security_user_ips WHERE user_id = $1),
            upsert AS (
              INSERT INTO security_user_ips (user_id, ip, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3)
              ON CONFLICT (user_id, ip) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at
              RETURNING (xmax = 0) AS inserted)
       SELECT (SELECT inserted FROM upsert) AS inserted, (SELECT n FROM known) AS known`,
      [userId, ip, at],
    );
    return row.inserted && row.known > 0;
  }

  /** Forgets signals older than any window can reach. */
  async sweep(before: Date): Promise<void> {
    await this.dataSource.query('DELETE FROM security_window_hits WHERE at < $1', [before]);
    await this.dataSource.query('DELETE FROM security_rule_firings WHERE fired_at < $1', [before]);
  }
}
