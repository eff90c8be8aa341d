import { ApiProperty } from '@nestjs/swagger';

const SCORE_DESCRIPTION =
  'efficiencyScore = 0.7 x successRate + 0.3 x speedScore, from 0 to 1 (the seed: 70% success, 30% speed). ' +
  'speedScore = clamp(1 - p50DurationMs / METRICS_AGENT_SPEED_BUDGET_MS, 0, 1): 1 when the median run takes no ' +
  'time, 0 when it takes the whole budget (default 60000 ms) or more, linear between. A fixed budget, so that an ' +
  "agent's score never moves because of another agent; the median, so that one stuck run does not sink it. " +
  'Null when the agent has no runs in the range.';

export class AgentPerformanceDto {
  @ApiProperty({ format: 'uuid' })
  agentId!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Null when the agent has since been deleted.' })
  agentName!: string | null;

  @ApiProperty({ description: 'Runs started in the range.' })
  runs!: number;

  @ApiProperty()
  successfulRuns!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'successfulRuns / runs, from 0 to 1.' })
  successRate!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  avgDurationMs!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Median run duration (continuous percentile).' })
  p50DurationMs!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: '95th percentile of run duration (continuous).' })
  p95DurationMs!: number | null;

  @ApiProperty()
  totalFindings!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'clamp(1 - p50DurationMs / speed budget, 0, 1).' })
  speedScore!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: SCORE_DESCRIPTION })
  efficiencyScore!: number | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastRunAt!: string | null;
}
