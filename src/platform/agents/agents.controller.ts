import { Authenticated } from '../../access/decorators/authenticated.decorator';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/decorators/current-user.decorator';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../../common/pagination/paginated';
import { Permission } from '../../rbac/permission';
import { ResourceType } from '../../rbac/resource-scope';
import { AgentsService } from './agents.service';
import {
  AgentDto,
  AgentRunDto,
  CreateAgentDto,
  ListAgentRunsQueryDto,
  ListAgentsQueryDto,
  RecordAgentRunDto,
  UpdateAgentDto,
} from './dto/agent.dto';
import { Audit } from '../../audit/decorators/audit.decorator';

const uuid = new ParseUUIDPipe({ version: '4' });
const thisAgent = { resourceType: ResourceType.Agent, idParam: 'id' };

@ApiTags('agents')
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Post()
  @Audit('agents.create', { resource: 'agent' })
  @ApiOperation({ summary: 'Register an agent (name unique, ignoring case).' })
  @Authenticated({ permissions: [Permission.AgentsManage] })
  @ApiCreatedResponse({ type: AgentDto })
  @ApiErrorResponses(400, 409)
  async create(@Body() body: CreateAgentDto): Promise<AgentDto> {
    return AgentDto.from(await this.agents.create(body));
  }

  @Get()
  @Audit('agents.list', { resource: 'agent' })
  @ApiOperation({ summary: 'Agents by name, optionally filtered by status.' })
  @Authenticated({ permissions: [Permission.AgentsRead] })
  @ApiPageResponse(AgentDto)
  @ApiErrorResponses(400)
  async list(@Query() query: ListAgentsQueryDto): Promise<PageDto<AgentDto>> {
    return mapPage(await this.agents.list(query), (item) => AgentDto.from(item));
  }

  @Get(':id')
  @Audit('agents.get')
  @ApiOperation({ summary: 'One agent.' })
  @Authenticated({ permissions: [Permission.AgentsRead], scope: thisAgent })
  @ApiOkResponse({ type: AgentDto })
  @ApiErrorResponses(400, 404)
  async get(@Param('id', uuid) id: string): Promise<AgentDto> {
    return AgentDto.from(await this.agents.get(id));
  }

  @Patch(':id')
  @Audit('agents.update')
  @Authenticated({ permissions: [Permission.AgentsManage], scope: thisAgent })
  @ApiOperation({ summary: 'Change an agent; a grant of agents:manage on this agent suffices.' })
  @ApiOkResponse({ type: AgentDto })
  @ApiErrorResponses(400, 404, 409)
  async update(@Param('id', uuid) id: string, @Body() body: UpdateAgentDto): Promise<AgentDto> {
    return AgentDto.from(await this.agents.update(id, body));
  }

  @Delete(':id')
  @Audit('agents.delete')
  @ApiOperation({ summary: 'Delete an agent and its recorded runs.' })
  @Authenticated({ permissions: [Permission.AgentsManage], scope: thisAgent })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrorResponses(400, 404)
  async remove(@Param('id', uuid) id: string): Promise<void> {
    await this.agents.remove(id);
  }

  @Post(':id/runs')
  @Audit('agents.runs.record')
  @Authenticated({ permissions: [Permission.AgentsManage], scope: thisAgent })
  @ApiOperation({ summary: 'Record one run of the agent.' })
  @ApiCreatedResponse({ type: AgentRunDto })
  @ApiErrorResponses(400, 404)
  async recordRun(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Body() body: RecordAgentRunDto,
  ): Promise<AgentRunDto> {
    return AgentRunDto.from(await this.agents.recordRun(id, body, caller.id));
  }

  @Get(':id/runs')
  @Audit('agents.runs.list')
  @Authenticated({ permissions: [Permission.AgentsRead], scope: thisAgent })
  @ApiOperation({ summary: 'Runs of the agent, newest first, filtered by time range and outcome.' })
  @ApiPageResponse(AgentRunDto)
  @ApiErrorResponses(400, 404)
  async listRuns(@Param('id', uuid) id: string, @Query() query: ListAgentRunsQueryDto): Promise<PageDto<AgentRunDto>> {
    return mapPage(await this.agents.listRuns(id, query), (item) => AgentRunDto.from(item));
  }
}
