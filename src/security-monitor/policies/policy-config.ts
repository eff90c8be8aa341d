import { plainToInstance, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Max,
  Min,
  validateSync,
  ValidateNested,
  type ValidationError,
} from 'class-validator';
import { ALERT_CHANNELS, type AlertChannelName } from '../../config/security-monitor.config';
import { SEVERITIES, type Severity } from '../events/security-event';
import { SecurityMonitorErrorCode, SecurityMonitorException } from '../security-monitor.exception';
import { type PolicyResponse, type PolicyType, RESPONSES, RULES } from './policy-types';

const DAY_SECONDS = 86_400;
const YEAR_SECONDS = 365 * DAY_SECONDS;

/** How long a block lasts: the first, and each repeat offence `escalationFactor` times longer, up to the maximum. */
export class BlockSettings {
  @IsInt()
  @Min(1)
  @Max(YEAR_SECONDS)
  durationSeconds!: number;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(100)
  escalationFactor = 2;

  @IsInt()
  @Min(1)
  @Max(YEAR_SECONDS)
  maxDurationSeconds!: number;
}

export class AlertSettings {
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(ALERT_CHANNELS, { each: true })
  channels?: AlertChannelName[];

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(DAY_SECONDS)
  dedupSeconds?: number;
}

/** A policy's config, one shape for every type; which fields a type needs is checked after. */
export class PolicyConfig {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  threshold?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(DAY_SECONDS)
  windowSeconds?: number;

  @IsIn(SEVERITIES)
  severity: Severity = 'high';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(RESPONSES.length)
  @ArrayUnique()
  @IsIn(RESPONSES, { each: true })
  responses!: PolicyResponse[];

  @IsOptional()
  @ValidateNested()
  @Type(() => BlockSettings)
  block?: BlockSettings;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_080)
  lockMinutes?: number;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(400, { each: true })
  @Max(599, { each: true })
  statuses?: number[];

  @IsOptional()
  @ValidateNested()
  @Type(() => AlertSettings)
  alert?: AlertSettings;
}

/** The config as stored: validated for its type, defaults filled in; a 400 naming the first problem otherwise. */
export function validPolicyConfig(type: PolicyType, raw: unknown): PolicyConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('config must be an object');
  const config = plainToInstance(PolicyConfig, raw);
  const errors = validateSync(config, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw invalid(describe(errors[0]));
  const problem = typeProblem(type, config);
  if (problem) throw invalid(problem);
  return config;
}

function typeProblem(type: PolicyType, config: PolicyConfig): string | undefined {
  const rule = RULES[type];
  const unsupported = config.responses.filter((response) => !rule.responses.includes(response));
  if (unsupported.length > 0) return `${type} cannot respond with ${unsupported.join(', ')}`;
  if (rule.counts !== 'first-seen' && (config.threshold === undefined || config.windowSeconds === undefined)) {
    return `${type} needs threshold and windowSeconds`;
  }
  if (rule.counts === 'first-seen' && (config.threshold !== undefined || config.windowSeconds !== undefined)) {
    return `${type} takes no threshold or windowSeconds`;
  }
  if (config.responses.includes('block-ip') !== (config.block !== undefined)) {
    return 'block is needed with the block-ip response, and only with it';
  }
  if (config.block && config.block.maxDurationSeconds < config.block.durationSeconds) {
    return 'block.maxDurationSeconds must be at least block.durationSeconds';
  }
  if (config.responses.includes('lock-account') !== (config.lockMinutes !== undefined)) {
    return 'lockMinutes is needed with the lock-account response, and only with it';
  }
  if ((type === 'scanning') !== (config.statuses !== undefined))
    return 'statuses is needed by scanning, and only by it';
  return undefined;
}

function describe(error: ValidationError, path = ''): string {
  const name = `${path}${error.property}`;
  if (error.children && error.children.length > 0) return describe(error.children[0], `${name}.`);
  return Object.values(error.constraints ?? {})
    .map((message) => message.replace(error.property, name))
    .join('; ');
}

function invalid(detail: string): SecurityMonitorException {
  return new SecurityMonitorException(SecurityMonitorErrorCode.InvalidPolicyConfig, `Invalid policy config: ${detail}`);
}
