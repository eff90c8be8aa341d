import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsIP, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { IsRecordId } from '../../common/validation/is-record-id.decorator';
import { TimeRangeQueryDto } from '../../common/time-range/time-range-query.dto';
import { QueryBoolean } from '../../common/validation/query-boolean.decorator';

export class AuditTimeRangeDto extends TimeRangeQueryDto {}

export class AuditFilterDto extends AuditTimeRangeDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ description: 'Exact username, ignoring case.' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  username?: string;

  @ApiPropertyOptional({ example: 'proposals.approve' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  action?: string;

  @ApiPropertyOptional({ example: 'agent' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  resourceType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  resourceId?: string;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  success?: boolean;

  @ApiPropertyOptional({ type: Boolean, description: 'The permission decision (false: a guard refused).' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  allowed?: boolean;

  @ApiPropertyOptional({ example: '203.0.113.7' })
  @IsOptional()
  @IsIP()
  ip?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 128)
  traceId?: string;

  @ApiPropertyOptional({ example: 'LAST_ADMIN', description: "The error body's code of a refused or failed request." })
  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9_]{0,99}$/, { message: 'errorCode must be an error code such as LAST_ADMIN' })
  errorCode?: string;
}

export class ListAuditLogsQueryDto extends AuditFilterDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page: rows older than it.' })
  @IsOptional()
  @IsRecordId()
  cursor?: string;
}

export class ExportAuditLogsQueryDto extends AuditFilterDto {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format: 'ndjson' | 'csv' = 'ndjson';
}

export class VerifyAuditQueryDto {
  @ApiPropertyOptional({ description: 'First record id to check (default: the oldest kept).' })
  @IsOptional()
  @IsRecordId()
  from?: string;

  @ApiPropertyOptional({ description: 'Last record id to check (default: the newest).' })
  @IsOptional()
  @IsRecordId()
  to?: string;

  @ApiPropertyOptional({
    description:
      'lastId of a head exported earlier and kept outside the database: that record must still be in the chain, ' +
      'which catches a head rewound to an older signed state.',
  })
  @IsOptional()
  @IsRecordId()
  anchorId?: string;

  @ApiPropertyOptional({ description: 'lastHash of that exported head: the anchored record must still have it.' })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'anchorHash must be 64 hex digits' })
  anchorHash?: string;
}

export class ChainHeadDto {
  @ApiProperty({ description: 'Id of the newest chained record.' })
  lastId!: string;

  @ApiProperty({ description: 'Its link (hash).' })
  lastHash!: string;

  @ApiProperty({ description: 'How many records the chain has ever held, those retention dropped included.' })
  rowCount!: string;

  @ApiProperty({ example: 'c2', description: 'Id of the AUDIT_CHAIN_KEY entry that signed it.' })
  keyId!: string;

  @ApiProperty({ description: 'HMAC over the three (and the key id, unless it is the implicit c0), under that key.' })
  signature!: string;
}

export class AuditLogDto {
  @ApiProperty({ example: '1024' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, nullable: true })
  userId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: '`system` for actions of the service itself.' })
  username!: string | null;

  @ApiProperty({ type: String, nullable: true })
  sessionId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The API key used, by id (never the key).' })
  apiKeyId!: string | null;

  @ApiProperty({ example: 'proposals.approve' })
  actionType!: string;

  @ApiProperty({ type: String, nullable: true })
  resourceType!: string | null;

  @ApiProperty({ type: String, nullable: true })
  resourceId!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Redacted summary of the input.',
  })
  actionDetails!: unknown;

  @ApiProperty({ type: String, nullable: true })
  ipAddress!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true })
  requestMethod!: string | null;

  @ApiProperty({ type: String, nullable: true })
  requestPath!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  responseStatus!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  executionTimeMs!: number | null;

  @ApiProperty()
  success!: boolean;

  @ApiProperty({ type: Boolean, nullable: true })
  allowed!: boolean | null;

  @ApiProperty({ type: String, nullable: true })
  errorMessage!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "The error body's code, e.g. LAST_ADMIN." })
  errorCode!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  metadata!: unknown;

  @ApiProperty({ type: String, nullable: true })
  traceId!: string | null;

  @ApiProperty({ description: 'Link of this record in the tamper-evident chain.' })
  hash!: string;
}

export class AuditLogPageDto {
  @ApiProperty({ type: [AuditLogDto] })
  items!: AuditLogDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor for the next (older) page; null at the end.',
  })
  nextCursor!: string | null;

  @ApiProperty()
  limit!: number;
}

export class AuditVerificationDto {
  @ApiProperty({ description: 'True when every checked record and link is intact.' })
  valid!: boolean;

  @ApiProperty({ description: 'Records checked.' })
  checked!: number;

  @ApiPropertyOptional({
    description: 'The first record whose content or link does not verify (altered, inserted, or after a deletion).',
  })
  firstBrokenId?: string;

  @ApiPropertyOptional({
    enum: ['content', 'link', 'start', 'tail', 'head', 'count', 'checkpoint', 'anchor', 'key'],
    description:
      'content: a record was altered; link: one was deleted or inserted; start: the oldest were deleted outside ' +
      'retention; tail: the newest were deleted; head: the head was rewritten; count: records are missing; ' +
      'checkpoint: a retention checkpoint was forged; anchor: the chain no longer reaches an exported head; ' +
      'key: a record, the head or the checkpoint names a chain key id AUDIT_CHAIN_KEY does not list (keyId).',
  })
  problem?: 'content' | 'link' | 'start' | 'tail' | 'head' | 'count' | 'checkpoint' | 'anchor' | 'key';

  @ApiPropertyOptional({ example: 'c1', description: 'With problem `key`: the key id no configured key has.' })
  keyId?: string;
}

export class AuditSummaryRowDto {
  @ApiProperty({ example: '2026-11-23' })
  day!: string;

  @ApiProperty()
  actionType!: string;

  @ApiProperty()
  total!: number;

  @ApiProperty()
  succeeded!: number;

  @ApiProperty()
  failed!: number;

  @ApiProperty({ description: 'succeeded / total' })
  successRate!: number;

  @ApiProperty({ type: Number, nullable: true })
  avgExecutionTimeMs!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  p95ExecutionTimeMs!: number | null;
}
