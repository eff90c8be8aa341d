import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MetricsRangeQueryDto } from './metrics-range.dto';

export class RequestTimeseriesQueryDto extends MetricsRangeQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 10,
    maximum: 86400,
    default: 60,
    description: 'Width of one bucket.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(86_400)
  bucketSeconds = 60;
}

export class RequestBucketDto {
  @ApiProperty({ format: 'date-time' })
  start!: string;

  @ApiProperty({ description: 'Requests in the bucket (sum of sample weights, rounded).' })
  requests!: number;

  @ApiProperty({ description: 'Of them, answered with status >= 400.' })
  errors!: number;

  @ApiProperty({ type: Number, nullable: true })
  p50Ms!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  p95Ms!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  p99Ms!: number | null;
}

export class RequestTimeseriesDto {
  @ApiProperty({ format: 'date-time' })
  from!: string;

  @ApiProperty({ format: 'date-time' })
  to!: string;

  @ApiProperty()
  bucketSeconds!: number;

  @ApiProperty({
    type: [RequestBucketDto],
    description: 'Every bucket of the range, oldest first; empty ones have 0 requests.',
  })
  buckets!: RequestBucketDto[];
}
