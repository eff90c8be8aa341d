import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { metricsConfig } from '../../../config';
import { AgentsService } from '../../../platform/agents/agents.service';
import type { AgentPerformanceDto } from '../dto/agent-performance.dto';
import { MetricsException, MetricsErrorCode } from '../metrics.exception';
import { AGENT_RUN_METRICS } from '../store/metrics-store';
import { efficiencyScore, speedScore } from './efficiency-score';
import { round } from './round.util';
import type { TimeRange } from './time-range';
import { SqlFilterBuilder } from '../../../database/sql-filter';

interface AgentStatsRow {
  agent_id: string;
  runs: string;
  succeeded: string;
  findings: string;
  avg_ms: number;
  p50_ms: number;
  p95_ms: number;
  last_run_at: Date;
}

/** Agent performance from the stored agent-run records: rates, durations, findings and the efficiency score. */
@Injectable()
export class AgentPerformanceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly agents: AgentsService,
    @Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  /** Every agent with runs in the range, best efficiency score first. */
  async list(range: TimeRange): Promise<AgentPerformanceDto[]> {
    const rows = await this.stats(range);
    const names = await this.agents.namesOf(rows.map((row) => row.agent_id));
    return rows
      .map((row) => this.toDto(row, names.get(row.agent_id) ?? null))
      .sort((a, b) => (b.efficiencyScore ?? 0) - (a.efficiencyScore ?? 0) || a.agentId.localeCompare(b.agentId));
  }

  /** One agent; an existing agent without runs in the range has zero runs and null rates. */
  async get(agentId: string, range: TimeRange): Promise<AgentPerformanceDto> {
    const [rows, names] = await Promise.all([this.stats(range, agentId), this.agents.namesOf([agentId])]);
    const row = rows.at(0);
    const name = names.get(agentId) ?? null;
    if (row) return this.toDto(row, name);
    if (name === null) throw new MetricsException(MetricsErrorCode.AgentNotFound);
    return noRuns(agentId, name);
  }

  private stats(range: TimeRange, agentId?: string): Promise<AgentStatsRow[]> {
    const { where, params } = new SqlFilterBuilder()
      .when(range.from, (p) => `started_at >= ${p}`)
      .when(range.to, (p) => `started_at < ${p}`)
      .when(agentId, (p) => `agent_id = ${p}`)
      .build();
    return this.dataSource.query<AgentStatsRow[]>(
      `SELECT agent_id, count(*) AS runs, count(*) FILTER (WHERE success) AS succeeded,
              sum(findings) AS findings, avg(duration_ms) AS avg_ms,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms,
              max(started_at) AS last_run_at
         FROM ${AGENT_RUN_METRICS}
        WHERE ${where}
        GROUP BY agent_id`,
      params,
    );
  }

  private toDto(row: AgentStatsRow, agentName: string | null): AgentPerformanceDto {
    const runs = Number(row.runs);
    const successfulRuns = Number(row.succeeded);
    const successRate = successfulRuns / runs;
    const speed = speedScore(row.p50_ms, this.config.agentSpeedBudgetMs);
    return {
      agentId: row.agent_id,
      agentName,
      runs,
      successfulRuns,
      successRate: round(successRate, 4),
      avgDurationMs: round(row.avg_ms, 2),
      p50DurationMs: round(row.p50_ms, 2),
      p95DurationMs: round(row.p95_ms, 2),
      totalFindings: Number(row.findings),
      speedScore: round(speed, 4),
      efficiencyScore: round(efficiencyScore(successRate, speed), 4),
      lastRunAt: row.last_run_at.toISOString(),
    };
  }
}

function noRuns(agentId: string, agentName: string): AgentPerformanceDto {
  return {
    agentId,
    agentName,
    runs: 0,
    successfulRuns: 0,
    successRate: null,
    avgDurationMs: null,
    p50DurationMs: null,
    p95DurationMs: null,
    totalFindings: 0,
    speedScore: null,
    efficiencyScore: null,
    lastRunAt: null,
  };
}
