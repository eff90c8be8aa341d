import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsIP,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { TimeRangeQueryDto } from '../../common/time-range/time-range-query.dto';
import { QueryBoolean } from '../../common/validation/query-boolean.decorator';
import { PaginationQueryDto } from '../../common/pagination/pagination-query.dto';
import { SEVERITIES, type Severity, THREAT_LEVELS, type ThreatLevel } from '../events/security-event';

const EVENT_TYPE = /^[a-z][\w.-]{0,199}$/i;

/** An event another service reports (the seed's log_security_event). */
export class ReportSecurityEventDto {
  @ApiProperty({ example: 'backup.failed', description: 'Letters, digits, dot, dash, underscore.' })
  @IsString()
  @Matches(EVENT_TYPE, { message: 'eventType must start with a letter and hold letters, digits, . - _' })
  eventType!: string;

  @ApiProperty({ enum: SEVERITIES })
  @IsIn(SEVERITIES)
  severity!: Severity;

  @ApiPropertyOptional({ example: 'backup-service', description: 'Default: the reporting caller.' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  source?: string;

  @ApiPropertyOptional({ enum: THREAT_LEVELS, description: 'Default: from the severity.' })
  @IsOptional()
  @IsIn(THREAT_LEVELS)
  threatLevel?: ThreatLevel;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  userId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  sessionId?: string;

  @ApiPropertyOptional({ example: '203.0.113.7' })
  @IsOptional()
  @IsIP()
  ip?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 512)
  userAgent?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  details?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class ListSecurityEventsQueryDto extends IntersectionType(TimeRangeQueryDto, PaginationQueryDto) {
  @ApiPropertyOptional({ example: 'security.rule-fired' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  type?: string;

  @ApiPropertyOptional({ enum: SEVERITIES })
  @IsOptional()
  @IsIn(SEVERITIES)
  severity?: Severity;

  @ApiPropertyOptional({ enum: THREAT_LEVELS })
  @IsOptional()
  @IsIn(THREAT_LEVELS)
  threatLevel?: ThreatLevel;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  resolved?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  userId?: string;

  @ApiPropertyOptional({ example: '203.0.113.7' })
  @IsOptional()
  @IsIP()
  ip?: string;
}

export class ResolveSecurityEventDto {
  @ApiProperty({ example: 'Known pen test from the red team; no action.' })
  @IsString()
  @Length(1, 2000)
  notes!: string;
}

export class SecurityEventDto {
  @ApiProperty({ example: '42' })
  id!: string;

  @ApiProperty({ example: 'auth.login.failed' })
  eventType!: string;

  @ApiProperty({ enum: SEVERITIES })
  severity!: Severity;

  @ApiProperty({ type: String, nullable: true })
  source!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  sessionId!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  details!: unknown;

  @ApiProperty({ type: String, nullable: true })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true, enum: THREAT_LEVELS })
  threatLevel!: string | null;

  @ApiProperty()
  resolved!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  resolvedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  resolvedBy!: string | null;

  @ApiProperty({ type: String, nullable: true })
  resolutionNotes!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  metadata!: unknown;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class StatisticsQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 3650, default: 30, description: 'Days back from now.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  days = 30;
}

export class CountDto {
  @ApiProperty()
  key!: string;

  @ApiProperty()
  count!: number;
}

export class SecurityStatisticsDto {
  @ApiProperty({ format: 'date-time' })
  from!: string;

  @ApiProperty({ format: 'date-time' })
  to!: string;

  @ApiProperty()
  total!: number;

  @ApiProperty()
  open!: number;

  @ApiProperty()
  resolved!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Mean seconds from an event to its resolution.' })
  meanTimeToResolveSeconds!: number | null;

  @ApiProperty({ type: [CountDto] })
  byType!: CountDto[];

  @ApiProperty({ type: [CountDto] })
  bySeverity!: CountDto[];

  @ApiProperty({ type: [CountDto], description: 'Open events only, for triage.' })
  openBySeverity!: CountDto[];

  @ApiProperty({ type: [CountDto], description: 'Per UTC day (YYYY-MM-DD).' })
  byDay!: CountDto[];

  @ApiProperty({ type: [CountDto], description: 'The 10 ips with the most events.' })
  topIps!: CountDto[];

  @ApiProperty({ type: [CountDto], description: 'The 10 users with the most events.' })
  topUsers!: CountDto[];
}

export class SecuritySummaryRowDto {
  @ApiProperty({ example: '2026-11-23' })
  day!: string;

  @ApiProperty()
  eventType!: string;

  @ApiProperty({ enum: SEVERITIES })
  severity!: Severity;

  @ApiProperty()
  total!: number;

  @ApiProperty()
  open!: number;

  @ApiProperty()
  resolved!: number;
}

export class ReportedEventDto {
  @ApiProperty({ example: true })
  accepted!: boolean;
}
