import { Body, Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Authenticated } from '../../access/decorators/authenticated.decorator';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/decorators/current-user.decorator';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../../common/pagination/paginated';
import { Permission } from '../../rbac/permission';
import { ResourceType } from '../../rbac/resource-scope';
import { CreateProposalDto, DecideProposalDto, ListProposalsQueryDto, ProposalDto } from './dto/proposal.dto';
import { ProposalsService } from './proposals.service';
import { Audit } from '../../audit/decorators/audit.decorator';

const uuid = new ParseUUIDPipe({ version: '4' });
const thisProposal = { resourceType: ResourceType.Proposal, idParam: 'id' };

@ApiTags('proposals')
@Controller('proposals')
export class ProposalsController {
  constructor(private readonly proposals: ProposalsService) {}

  @Post()
  @Audit('proposals.create', { resource: 'proposal' })
  @Authenticated({ permissions: [Permission.ProposalsWrite] })
  @ApiOperation({ summary: 'Submit a code proposal for approval; the caller is its author.' })
  @ApiCreatedResponse({ type: ProposalDto })
  @ApiErrorResponses(400)
  async create(@CurrentUser() author: AuthenticatedUser, @Body() body: CreateProposalDto): Promise<ProposalDto> {
    return ProposalDto.from(await this.proposals.create(author.id, body));
  }

  @Get()
  @Audit('proposals.list', { resource: 'proposal' })
  @ApiOperation({ summary: 'Code proposals, newest first, optionally filtered by status.' })
  @Authenticated({ permissions: [Permission.ProposalsRead] })
  @ApiPageResponse(ProposalDto)
  @ApiErrorResponses(400)
  async list(@Query() query: ListProposalsQueryDto): Promise<PageDto<ProposalDto>> {
    return mapPage(await this.proposals.list(query), (item) => ProposalDto.from(item));
  }

  @Get(':id')
  @Audit('proposals.get')
  @ApiOperation({ summary: 'One code proposal with its diff and decision.' })
  @Authenticated({ permissions: [Permission.ProposalsRead], scope: thisProposal })
  @ApiOkResponse({ type: ProposalDto })
  @ApiErrorResponses(400, 404)
  async get(@Param('id', uuid) id: string): Promise<ProposalDto> {
    return ProposalDto.from(await this.proposals.get(id));
  }

  @Post(':id/approve')
  @Audit('proposals.approve')
  @Authenticated({ permissions: [Permission.ProposalsApprove], scope: thisProposal })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Approve a pending proposal (not one’s own).' })
  @ApiOkResponse({ type: ProposalDto })
  @ApiErrorResponses(400, 404, 409)
  async approve(
    @CurrentUser() decider: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Body() body: DecideProposalDto,
  ): Promise<ProposalDto> {
    return ProposalDto.from(await this.proposals.decide(id, decider.id, 'approved', body.comment));
  }

  @Post(':id/reject')
  @Audit('proposals.reject')
  @Authenticated({ permissions: [Permission.ProposalsApprove], scope: thisProposal })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Reject a pending proposal (not one’s own).' })
  @ApiOkResponse({ type: ProposalDto })
  @ApiErrorResponses(400, 404, 409)
  async reject(
    @CurrentUser() decider: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Body() body: DecideProposalDto,
  ): Promise<ProposalDto> {
    return ProposalDto.from(await this.proposals.decide(id, decider.id, 'rejected', body.comment));
  }
}
