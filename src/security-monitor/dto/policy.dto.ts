import { instanceToPlain } from 'class-transformer';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { UnlessAbsent } from '../../common/validation/unless-absent.decorator';
import { POLICY_TYPES, type PolicyType } from '../policies/policy-types';
import type { SecurityPolicy } from '../policies/security-policy.entity';

const CONFIG_DESCRIPTION =
  'Per type: threshold and windowSeconds (not for new-ip-login); severity; responses (block-ip, lock-account, ' +
  'revoke-sessions, revoke-api-key, alert, as the type allows); block {durationSeconds, escalationFactor, ' +
  'maxDurationSeconds} with block-ip; lockMinutes with lock-account; statuses for scanning; alert {channels, dedupSeconds}.';

export class CreatePolicyDto {
  @ApiProperty({ example: 'failed-login-burst-strict' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[\w.-]+$/, { message: 'name may hold letters, digits, dot, dash and underscore' })
  name!: string;

  @ApiProperty({ enum: POLICY_TYPES })
  @IsIn(POLICY_TYPES)
  type!: PolicyType;

  @ApiProperty({ type: 'object', additionalProperties: true, description: CONFIG_DESCRIPTION })
  @IsObject()
  config!: Record<string, unknown>;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Record what the policy would do, and do nothing.' })
  @IsOptional()
  @IsBoolean()
  simulation?: boolean;

  @ApiPropertyOptional({ default: 0, description: 'Higher runs first.' })
  @IsOptional()
  @IsInt()
  @Min(-1000)
  @Max(1000)
  priority?: number;
}

export class UpdatePolicyDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: CONFIG_DESCRIPTION })
  @UnlessAbsent()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsBoolean()
  simulation?: boolean;

  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsInt()
  @Min(-1000)
  @Max(1000)
  priority?: number;
}

export class PolicyDto {
  @ApiProperty({ example: '1' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: POLICY_TYPES })
  type!: PolicyType;

  @ApiProperty({ type: 'object', additionalProperties: true })
  config!: Record<string, unknown>;

  @ApiProperty()
  active!: boolean;

  @ApiProperty()
  simulation!: boolean;

  @ApiProperty()
  priority!: number;

  @ApiProperty({ type: String, nullable: true })
  createdBy!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  static from(policy: SecurityPolicy): PolicyDto {
    return {
      id: policy.id,
      name: policy.name,
      type: policy.type,
      config: instanceToPlain(policy.config),
      active: policy.active,
      simulation: policy.simulation,
      priority: policy.priority,
      createdBy: policy.createdBy,
      createdAt: policy.createdAt.toISOString(),
      updatedAt: policy.updatedAt.toISOString(),
    };
  }
}
