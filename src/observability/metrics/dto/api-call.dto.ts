import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsNumber, IsString, Length, Matches, Max, Min } from 'class-validator';
import { UnlessAbsent } from '../../../common/validation/unless-absent.decorator';
import type { ExternalApiCallRecord } from '../store/metric-records';
import { HasAtMostSixDecimals } from '../../../common/validation/has-at-most-six-decimals.decorator';

export class ReportApiCallDto {
  @ApiProperty({ example: 'openai', description: 'The API called; matched to an API toggle by name, ignoring case.' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[\w.:-]+$/, { message: 'api must be letters, digits and . _ : -' })
  api!: string;

  @ApiProperty({ minimum: 0, maximum: 86400000, example: 420 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(86_400_000)
  durationMs!: number;

  @ApiProperty({ minimum: 0, maximum: 999, example: 200, description: 'The status the API answered; 0 for none.' })
  @IsInt()
  @Min(0)
  @Max(999)
  status!: number;

  @ApiPropertyOptional({ description: 'Default: status between 100 and 399.' })
  @UnlessAbsent()
  @IsBoolean()
  success?: boolean;

  @ApiPropertyOptional({
    minimum: 0,
    example: 0.002,
    description: "What the call cost. Default: the matching API toggle's costPerCall, or 0 without one.",
  })
  @UnlessAbsent()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @HasAtMostSixDecimals()
  @Min(0)
  @Max(999_999)
  cost?: number;
}

export class ExternalApiCallDto {
  @ApiProperty({ format: 'date-time' })
  recordedAt!: string;

  @ApiProperty()
  api!: string;

  @ApiProperty()
  durationMs!: number;

  @ApiProperty({ type: Number, nullable: true })
  status!: number | null;

  @ApiProperty()
  success!: boolean;

  @ApiProperty({ example: 0.002 })
  cost!: number;

  static from(record: ExternalApiCallRecord): ExternalApiCallDto {
    return {
      recordedAt: record.recordedAt.toISOString(),
      api: record.api,
      durationMs: record.durationMs,
      status: record.statusCode,
      success: record.success,
      cost: Number(record.cost),
    };
  }
}
