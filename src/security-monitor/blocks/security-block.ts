/** A row of security_blocks, as read. */
export interface SecurityBlockRow {
  id: string;
  network: string;
  reason: string;
  policy_id: string | null;
  offence: number;
  created_by: string | null;
  created_at: Date;
  expires_at: Date;
  lifted_at: Date | null;
  lifted_by: string | null;
}

export const BLOCK_COLUMNS =
  'id::text, network::text, reason, policy_id::text, offence, created_by, created_at, expires_at, lifted_at, lifted_by';

/** How long the `offence`-th block of a network lasts: each repeat `factor` times the last, capped. */
export function escalatedDurationSeconds(
  offence: number,
  settings: { durationSeconds: number; escalationFactor: number; maxDurationSeconds: number },
): number {
  const duration = settings.durationSeconds * settings.escalationFactor ** Math.max(0, offence - 1);
  return Math.round(Math.min(duration, settings.maxDurationSeconds));
}
