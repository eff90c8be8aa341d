import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { UnlessAbsent } from '../../../common/validation/unless-absent.decorator';
import { PaginationQueryDto } from '../../../common/pagination/pagination-query.dto';
import type { ApiToggle } from '../api-toggle.entity';
import { HasAtMostSixDecimals } from '../../../common/validation/has-at-most-six-decimals.decorator';

export class CreateApiToggleDto {
  @ApiProperty({ example: 'openai' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsString()
  @Length(0, 2000)
  description?: string;

  @ApiPropertyOptional({ default: false })
  @UnlessAbsent()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ minimum: 0, description: 'Price of one call, in the platform currency.', example: 0.002 })
  @UnlessAbsent()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @HasAtMostSixDecimals()
  @Min(0)
  @Max(999_999)
  costPerCall?: number;
}

export class UpdateApiToggleDto {
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  description?: string | null;

  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ minimum: 0 })
  @UnlessAbsent()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @HasAtMostSixDecimals()
  @Min(0)
  @Max(999_999)
  costPerCall?: number;
}

export class ListApiTogglesQueryDto extends PaginationQueryDto {}

export class ApiToggleDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ example: 0.002 })
  costPerCall!: number;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  updatedBy!: string | null;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  static from(toggle: ApiToggle): ApiToggleDto {
    return {
      id: toggle.id,
      name: toggle.name,
      description: toggle.description,
      enabled: toggle.enabled,
      costPerCall: Number(toggle.costPerCall),
      updatedBy: toggle.updatedBy,
      updatedAt: toggle.updatedAt.toISOString(),
    };
  }
}
