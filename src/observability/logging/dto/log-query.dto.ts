import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { PaginationQueryDto } from '../../../common/pagination/pagination-query.dto';
import { TimeRangeQueryDto } from '../../../common/time-range/time-range-query.dto';
import { LOG_LEVELS, type LogLevel } from '../../../config/logging.config';
import type { LogRow } from '../log-store.repository';

export class ListLogsQueryDto extends IntersectionType(PaginationQueryDto, TimeRangeQueryDto) {
  @ApiPropertyOptional({ enum: LOG_LEVELS, description: 'This level and every more severe one.' })
  @IsOptional()
  @IsIn(LOG_LEVELS)
  level?: LogLevel;

  @ApiPropertyOptional({ example: 'ExceptionFilter', description: 'Exact module (logger context) name.' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  module?: string;

  @ApiPropertyOptional({ description: 'The x-request-id of the request that logged the entries.' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  traceId?: string;

  @ApiPropertyOptional({ description: 'Text the message contains, ignoring case.' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;
}

export class LogEntryDto {
  @ApiProperty({ example: '1024' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ enum: LOG_LEVELS })
  level!: LogLevel;

  @ApiProperty()
  message!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The logger context, e.g. `ExceptionFilter`.' })
  module!: string | null;

  @ApiProperty({ type: String, nullable: true })
  traceId!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Context data, credentials redacted by field name; an error keeps its stack here as `stack`.',
  })
  context!: unknown;

  static from(row: LogRow): LogEntryDto {
    return {
      id: row.id,
      createdAt: row.created_at.toISOString(),
      level: row.level,
      message: row.message,
      module: row.module,
      traceId: row.trace_id,
      context: row.context,
    };
  }
}
