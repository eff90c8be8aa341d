import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';

/** The `from`/`to` pair every time-filtered read takes: from inclusive, to exclusive, ISO 8601. */
export class TimeRangeQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'From this instant (inclusive).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Until this instant (exclusive).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}
