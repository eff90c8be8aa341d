import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { type PageDto, page } from '../../common/pagination/paginated';
import { violatedUniqueConstraint } from '../../database/postgres-errors.util';
import { TrackAgentRun } from '../../observability/metrics/decorators/track-agent-run.decorator';
import { PlatformException, PlatformErrorCode } from '../platform.exception';
import { Agent } from './agent.entity';
import { AgentRun } from './agent-run.entity';
import type {
  CreateAgentDto,
  ListAgentRunsQueryDto,
  ListAgentsQueryDto,
  RecordAgentRunDto,
  UpdateAgentDto,
} from './dto/agent.dto';

@Injectable()
export class AgentsService {
  constructor(
    @InjectRepository(Agent) private readonly agents: Repository<Agent>,
    @InjectRepository(AgentRun) private readonly runs: Repository<AgentRun>,
  ) {}

  async create(input: CreateAgentDto): Promise<Agent> {
    return this.agents
      .save(
        this.agents.create({
          name: input.name,
          description: input.description ?? null,
          status: input.status ?? 'active',
          config: input.config ?? {},
        }),
      )
      .catch(rethrowNameTaken);
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
    const agent = await this.agents.findOneBy({ id });
    if (!agent) throw new PlatformException(PlatformErrorCode.AgentNotFound);
    return agent;
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

function rethrowNameTaken(error: unknown): never {
  if (violatedUniqueConstraint(error) !== undefined) throw new PlatformException(PlatformErrorCode.AgentNameTaken);
  throw error;
}
