import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { type PageDto, page } from '../../common/pagination/paginated';
import { violatedUniqueConstraint } from '../../database/postgres-errors.util';
import { type PreparedStatement, PreparedStatements } from '../../database/prepared-statements.service';
import { Transactions } from '../../database/transactions/transactions.service';
import { TrackAgentRun } from '../../observability/metrics/decorators/track-agent-run.decorator';
import { PlatformException, PlatformErrorCode } from '../platform.exception';
import { Agent, type AgentStatus } from './agent.entity';
import { AgentRun } from './agent-run.entity';
import type {
  CreateAgentDto,
  ListAgentRunsQueryDto,
  ListAgentsQueryDto,
  RecordAgentRunDto,
  UpdateAgentDto,
} from './dto/agent.dto';

interface AgentRow {
  id: string;
  name: string;
  description: string | null;
  status: AgentStatus;
  config: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const AGENT_COLUMNS = 'id, name, description, status, config, created_at, updated_at';

/** The read every agent route starts with: planned once per connection. */
const AGENT_BY_ID: PreparedStatement = {
  name: 'sentinel_agent_by_id',
  text: `SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1`,
};

/**
 * The hottest paths (one agent by id, a new agent) are single statements
 * with plain rows: no query builder or entity persistence per request.
 */
@Injectable()
export class AgentsService {
  constructor(
    @InjectRepository(Agent) private readonly agents: Repository<Agent>,
    @InjectRepository(AgentRun) private readonly runs: Repository<AgentRun>,
    private readonly statements: PreparedStatements,
    private readonly transactions: Transactions,
  ) {}

  async create(input: CreateAgentDto): Promise<Agent> {
    const rows = await this.transactions
      .query<AgentRow[]>(
        `INSERT INTO agents (name, description, status, config) VALUES ($1, $2, $3, $4::jsonb) RETURNING ${AGENT_COLUMNS}`,
        [input.name, input.description ?? null, input.status ?? 'active', JSON.stringify(input.config ?? {})],
      )
      .catch(rethrowNameTaken);
    return agentOf(rows[0]);
  }

  async list(query: ListAgentsQueryDto): Promise<PageDto<Agent>> {
    const [items, total] = await this.agents.findAndCount({
      where: query.status ? { status: query.status } : {},
      order: { name: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
    return page(items, total, query);
  }

  async get(id: string): Promise<Agent> {
    const row = (await this.statements.rows<AgentRow>(AGENT_BY_ID, [id])).at(0);
    if (!row) throw new PlatformException(PlatformErrorCode.AgentNotFound);
    return agentOf(row);
  }

  async update(id: string, changes: UpdateAgentDto): Promise<Agent> {
    const agent = await this.get(id);
    return this.agents.save(this.agents.merge(agent, changes)).catch(rethrowNameTaken);
  }

  async remove(id: string): Promise<void> {
    const result = await this.agents.delete({ id });
    if (result.affected === 0) throw new PlatformException(PlatformErrorCode.AgentNotFound);
  }

  /** Each recorded run also feeds the agent-run metrics (Prometheus and agent performance). */
  @TrackAgentRun()
  async recordRun(agentId: string, input: RecordAgentRunDto, recordedBy: string): Promise<AgentRun> {
    await this.get(agentId);
    return this.runs.save(
      this.runs.create({
        agentId,
        startedAt: new Date(input.startedAt),
        durationMs: input.durationMs,
        findings: input.findings,
        success: input.success,
        error: input.error ?? null,
        recordedBy,
      }),
    );
  }

  /** The names of the agents among `ids` that exist, by id. */
  async namesOf(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const agents = await this.agents.find({ select: { id: true, name: true }, where: { id: In([...ids]) } });
    return new Map(agents.map((agent) => [agent.id, agent.name]));
  }

  async listRuns(agentId: string, query: ListAgentRunsQueryDto): Promise<PageDto<AgentRun>> {
    await this.get(agentId);
    const builder = this.runs
      .createQueryBuilder('run')
      .where('run.agent_id = :agentId', { agentId })
      // Runs may share a start instant; the id keeps the order total, so offset pages neither repeat nor skip.
      .orderBy('run.started_at', 'DESC')
      .addOrderBy('run.id', 'DESC');
    if (query.from) builder.andWhere('run.started_at >= :from', { from: query.from });
    if (query.to) builder.andWhere('run.started_at < :to', { to: query.to });
    if (query.success !== undefined) builder.andWhere('run.success = :success', { success: query.success });
    const [items, total] = await builder.take(query.limit).skip(query.offset).getManyAndCount();
    return page(items, total, query);
  }
}

function agentOf(row: AgentRow): Agent {
  return Object.assign(new Agent(), {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status,
    config: row.config,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

function rethrowNameTaken(error: unknown): never {
  if (violatedUniqueConstraint(error) !== undefined) throw new PlatformException(PlatformErrorCode.AgentNameTaken);
  throw error;
}
