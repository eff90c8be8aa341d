import { ApiProperty } from '@nestjs/swagger';
import type { AlertRow, DeliveryRow } from '../alerts/alerts.service';
import { SEVERITIES, type Severity } from '../events/security-event';

export class AlertAttemptDto {
  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty()
  ok!: boolean;

  @ApiProperty({ required: false, description: 'A status or an error code; never a URL or a secret.' })
  error?: string;
}

export class AlertDeliveryDto {
  @ApiProperty()
  id!: string;

  @ApiProperty({ enum: ['webhook', 'slack', 'email'] })
  channel!: string;

  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] })
  status!: 'pending' | 'delivered' | 'failed';

  @ApiProperty()
  attempts!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  nextAttemptAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;

  @ApiProperty({ type: [AlertAttemptDto] })
  history!: AlertAttemptDto[];

  static from(row: DeliveryRow): AlertDeliveryDto {
    return {
      id: row.id,
      channel: row.channel,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt:
        row.status === 'pending' && row.next_attempt_at ? new Date(row.next_attempt_at).toISOString() : null,
      deliveredAt: row.delivered_at ? new Date(row.delivered_at).toISOString() : null,
      lastError: row.last_error,
      history: row.attempt_log,
    };
  }
}

export class AlertDto {
  @ApiProperty()
  id!: string;

  @ApiProperty({ type: String, nullable: true })
  policyId!: string | null;

  @ApiProperty({ enum: SEVERITIES })
  severity!: Severity;

  @ApiProperty()
  title!: string;

  @ApiProperty({ type: String, nullable: true })
  subject!: string | null;

  @ApiProperty({ description: 'Repeats within the dedup window, counted instead of sent.' })
  suppressed!: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: [AlertDeliveryDto] })
  deliveries!: AlertDeliveryDto[];

  static from(row: AlertRow): AlertDto {
    return {
      id: row.id,
      policyId: row.policy_id,
      severity: row.severity,
      title: row.title,
      subject: row.subject,
      suppressed: row.suppressed,
      createdAt: row.created_at.toISOString(),
      deliveries: row.deliveries.map((delivery) => AlertDeliveryDto.from(delivery)),
    };
  }
}
