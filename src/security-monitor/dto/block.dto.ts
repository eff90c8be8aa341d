import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Max, Min, ValidateBy } from 'class-validator';
import { isAddressOrCidr } from '../../config/security-monitor.config';
import { PaginationQueryDto } from '../../common/pagination/pagination-query.dto';
import { QueryBoolean } from '../../common/validation/query-boolean.decorator';
import type { SecurityBlockRow } from '../blocks/security-block';

const IsAddressOrCidr = (): PropertyDecorator =>
  ValidateBy({
    name: 'isAddressOrCidr',
    validator: {
      validate: isAddressOrCidr,
      defaultMessage: () => 'target must be an ip address or a CIDR (203.0.113.7, 2001:db8::/64)',
    },
  });

export class CreateBlockDto {
  @ApiProperty({ example: '203.0.113.7', description: 'An address, or a network in CIDR notation.' })
  @IsString()
  @IsAddressOrCidr()
  target!: string;

  @ApiProperty({ minimum: 1, maximum: 31536000, example: 3600 })
  @IsInt()
  @Min(1)
  @Max(31_536_000)
  durationSeconds!: number;

  @ApiProperty({ example: 'abuse report 42' })
  @IsString()
  @Length(1, 500)
  reason!: string;
}

export class ListBlocksQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ type: Boolean, default: true, description: 'Only blocks in force now (false: history too).' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  active = true;
}

export class BlockDto {
  @ApiProperty({ example: '1' })
  id!: string;

  @ApiProperty({ example: '203.0.113.7/32' })
  network!: string;

  @ApiProperty()
  reason!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The policy whose rule made it; null for a manual block.' })
  policyId!: string | null;

  @ApiProperty({ description: 'Which offence of this network it answers (durations grow with it).' })
  offence!: number;

  @ApiProperty({ type: String, nullable: true })
  createdBy!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  liftedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  liftedBy!: string | null;

  @ApiProperty({ description: 'Seconds until it ends (0 once over).' })
  secondsLeft!: number;

  static from(row: SecurityBlockRow, now: Date): BlockDto {
    const over = row.lifted_at ?? row.expires_at;
    return {
      id: row.id,
      network: row.network,
      reason: row.reason,
      policyId: row.policy_id,
      offence: row.offence,
      createdBy: row.created_by,
      createdAt: row.created_at.toISOString(),
      expiresAt: row.expires_at.toISOString(),
      liftedAt: row.lifted_at?.toISOString() ?? null,
      liftedBy: row.lifted_by,
      secondsLeft: Math.max(0, Math.ceil((over.getTime() - now.getTime()) / 1000)),
    };
  }
}
