import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The built-in policies, with the seed's monitoring defaults (alert_threshold 10, notification by alert). */
const BUILT_IN_POLICIES: [name: string, type: string, priority: number, config: Record<string, unknown>][] = [
  [
    'failed-login-burst',
    'failed-login-burst',
    100,
    {
      threshold: 10,
      windowSeconds: 300,
      severity: 'high',
      responses: ['block-ip', 'alert'],
      block: { durationSeconds: 900, escalationFactor: 2, maxDurationSeconds: 86400 },
    },
  ],
  [
    'password-spraying',
    'password-spraying',
    90,
    {
      threshold: 5,
      windowSeconds: 600,
      severity: 'high',
      responses: ['block-ip', 'alert'],
      block: { durationSeconds: 3600, escalationFactor: 2, maxDurationSeconds: 604800 },
    },
  ],
  [
    'credential-stuffing',
    'credential-stuffing',
    80,
    { threshold: 5, windowSeconds: 600, severity: 'high', responses: ['lock-account', 'alert'], lockMinutes: 30 },
  ],
  [
    'refused-api-key-burst',
    'refused-api-key-burst',
    70,
    {
      threshold: 10,
      windowSeconds: 300,
      severity: 'medium',
      responses: ['block-ip', 'alert'],
      block: { durationSeconds: 900, escalationFactor: 2, maxDurationSeconds: 86400 },
    },
  ],
  [
    'permission-denial-burst',
    'permission-denial-burst',
    60,
    { threshold: 10, windowSeconds: 300, severity: 'medium', responses: ['alert'] },
  ],
  ['new-ip-login', 'new-ip-login', 50, { severity: 'low', responses: ['alert'] }],
  [
    'scanning',
    'scanning',
    40,
    {
      threshold: 50,
      windowSeconds: 60,
      statuses: [401, 404],
      severity: 'medium',
      responses: ['block-ip', 'alert'],
      block: { durationSeconds: 600, escalationFactor: 2, maxDurationSeconds: 86400 },
    },
  ],
];

export class CreateSecurityMonitor1795600000000 implements MigrationInterface {
  name = 'CreateSecurityMonitor1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE security_events_id_seq AS bigint`);
    // The seed's security_events, range-partitioned by month on the shared append store; retention
    // (SECURITY_EVENT_RETENTION_DAYS) drops whole partitions, and the DEFAULT partition takes stray months.
    await queryRunner.query(`
      CREATE TABLE security_events (
        id bigint NOT NULL DEFAULT nextval('security_events_id_seq'),
        event_type text NOT NULL,
        severity text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
        source text,
        user_id text,
        session_id text,
        event_details jsonb,
        ip_address inet,
        user_agent text,
        threat_level text,
        is_resolved boolean NOT NULL DEFAULT false,
        resolved_at timestamptz,
        resolved_by text,
        resolution_notes text,
        metadata jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    await queryRunner.query(`ALTER SEQUENCE security_events_id_seq OWNED BY security_events.id`);
    await queryRunner.query(`CREATE TABLE security_events_default PARTITION OF security_events DEFAULT`);
    await queryRunner.query(`CREATE INDEX security_events_created_idx ON security_events (created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX security_events_type_idx ON security_events (event_type, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX security_events_ip_idx ON security_events (ip_address, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX security_events_user_idx ON security_events (user_id, created_at DESC)`);
    await queryRunner.query(
      `CREATE INDEX security_events_open_idx ON security_events (severity, created_at DESC) WHERE NOT is_resolved`,
    );

    await queryRunner.query(`
      CREATE TABLE security_policies (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        policy_name text NOT NULL UNIQUE,
        policy_type text NOT NULL,
        policy_config jsonb NOT NULL,
        is_active boolean NOT NULL DEFAULT true,
        simulation boolean NOT NULL DEFAULT false,
        priority integer NOT NULL DEFAULT 0,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    for (const [name, type, priority, config] of BUILT_IN_POLICIES) {
      await queryRunner.query(
        `INSERT INTO security_policies (policy_name, policy_type, policy_config, priority, created_by)
         VALUES ($1, $2, $3, $4, 'system')`,
        [name, type, JSON.stringify(config), priority],
      );
    }

    // One signal (a failed login, a refused key, a 404) per row, counted over each policy's window by every
    // instance alike; a sweep removes rows older than the longest window.
    await queryRunner.query(`
      CREATE TABLE security_window_hits (
        signal text NOT NULL,
        subject text NOT NULL,
        attribute text,
        detail text,
        user_agent text,
        at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX security_window_hits_idx ON security_window_hits (signal, subject, at)`);
    await queryRunner.query(`CREATE INDEX security_window_hits_at_idx ON security_window_hits (at)`);
    // When a policy last fired for a subject: claimed by compare-and-set, so one instance answers a burst once,
    // and only signals after it count toward the next firing.
    await queryRunner.query(`
      CREATE TABLE security_rule_firings (
        policy_id bigint NOT NULL REFERENCES security_policies (id) ON DELETE CASCADE,
        subject text NOT NULL,
        fired_at timestamptz NOT NULL,
        PRIMARY KEY (policy_id, subject)
      )`);
    await queryRunner.query(`
      CREATE TABLE security_user_ips (
        user_id text NOT NULL,
        ip inet NOT NULL,
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, ip)
      )`);

    await queryRunner.query(`
      CREATE TABLE security_blocks (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        network cidr NOT NULL,
        reason text NOT NULL,
        policy_id bigint REFERENCES security_policies (id) ON DELETE SET NULL,
        offence integer NOT NULL DEFAULT 1,
        created_by text,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        lifted_at timestamptz,
        lifted_by text
      )`);
    await queryRunner.query(`CREATE INDEX security_blocks_network_idx ON security_blocks (network, created_at DESC)`);
    await queryRunner.query(
      `CREATE INDEX security_blocks_active_idx ON security_blocks (expires_at) WHERE lifted_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE security_alerts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        dedup_key text NOT NULL,
        policy_id bigint REFERENCES security_policies (id) ON DELETE SET NULL,
        severity text NOT NULL,
        title text NOT NULL,
        subject text,
        payload jsonb NOT NULL,
        suppressed integer NOT NULL DEFAULT 0,
        last_suppressed_at timestamptz,
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX security_alerts_dedup_idx ON security_alerts (dedup_key, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX security_alerts_created_idx ON security_alerts (created_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE security_alert_deliveries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        alert_id bigint NOT NULL REFERENCES security_alerts (id) ON DELETE CASCADE,
        channel text NOT NULL,
        message_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        delivered_at timestamptz,
        last_error text,
        attempt_log jsonb NOT NULL DEFAULT '[]'
      )`);
    await queryRunner.query(
      `CREATE INDEX security_alert_deliveries_due_idx ON security_alert_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
    await queryRunner.query(`CREATE INDEX security_alert_deliveries_alert_idx ON security_alert_deliveries (alert_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'security_alert_deliveries',
      'security_alerts',
      'security_blocks',
      'security_user_ips',
      'security_rule_firings',
      'security_window_hits',
      'security_policies',
      'security_events',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
