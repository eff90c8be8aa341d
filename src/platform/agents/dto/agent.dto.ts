import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { UnlessAbsent } from '../../../common/validation/unless-absent.decorator';
import { PaginationQueryDto } from '../../../common/pagination/pagination-query.dto';
import { TimeRangeQueryDto } from '../../../common/time-range/time-range-query.dto';
import { QueryBoolean } from '../../../common/validation/query-boolean.decorator';
import { AGENT_STATUSES, type Agent, type AgentStatus } from '../agent.entity';
import type { AgentRun } from '../agent-run.entity';

export class CreateAgentDto {
  @ApiProperty({ example: 'momentum-scanner' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsString()
  @Length(0, 2000)
  description?: string;

  @ApiPropertyOptional({ enum: AGENT_STATUSES, default: 'active' })
  @UnlessAbsent()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatus;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Free-form agent settings.' })
  @UnlessAbsent()
  @IsObject()
  config?: Record<string, unknown>;
}

/** Every field optional; only the description may be cleared with null. */
export class UpdateAgentDto {
  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  description?: string | null;

  @ApiPropertyOptional({ enum: AGENT_STATUSES })
  @UnlessAbsent()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatus;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Replaces the settings as a whole.' })
  @UnlessAbsent()
  @IsObject()
  config?: Record<string, unknown>;
}

export class ListAgentsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: AGENT_STATUSES })
  @IsOptional()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatus;
}

export class AgentDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ enum: AGENT_STATUSES })
  status!: AgentStatus;

  @ApiProperty({ type: 'object', additionalProperties: true })
  config!: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  static from(agent: Agent): AgentDto {
    return {
      id: agent.id,
      name: agent.name,
      description: agent.description,
      status: agent.status,
      config: agent.config,
      createdAt: agent.createdAt.toISOString(),
      updatedAt: agent.updatedAt.toISOString(),
    };
  }
}

export class RecordAgentRunDto {
  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  startedAt!: string;

  @ApiProperty({ minimum: 0, maximum: 86400000 })
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  durationMs!: number;

  @ApiProperty({ minimum: 0 })
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  findings!: number;

  @ApiProperty()
  @IsBoolean()
  success!: boolean;

  @ApiPropertyOptional({ description: 'What went wrong, for a failed run.' })
  @UnlessAbsent()
  @IsString()
  @Length(0, 4000)
  error?: string;
}

export class ListAgentRunsQueryDto extends IntersectionType(PaginationQueryDto, TimeRangeQueryDto) {
  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  success?: boolean;
}

export class AgentRunDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  agentId!: string;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty()
  durationMs!: number;

  @ApiProperty()
  findings!: number;

  @ApiProperty()
  success!: boolean;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  static from(run: AgentRun): AgentRunDto {
    return {
      id: run.id,
      agentId: run.agentId,
      startedAt: run.startedAt.toISOString(),
      durationMs: run.durationMs,
      findings: run.findings,
      success: run.success,
      error: run.error,
    };
  }
}
