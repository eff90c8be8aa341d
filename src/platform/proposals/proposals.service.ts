import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Clock } from '../../common/clock/clock';
import { DomainEvents } from '../../common/events/domain-events.service';
import { type PageDto, page } from '../../common/pagination/paginated';
import { ProposalDecided, type ProposalDecision } from '../platform.events';
import { PlatformException, PlatformErrorCode } from '../platform.exception';
import { CodeProposal } from './code-proposal.entity';
import type { CreateProposalDto, ListProposalsQueryDto } from './dto/proposal.dto';

@Injectable()
export class ProposalsService {
  constructor(
    @InjectRepository(CodeProposal) private readonly proposals: Repository<CodeProposal>,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
  ) {}

  create(authorId: string, input: CreateProposalDto): Promise<CodeProposal> {
    return this.proposals.save(
      this.proposals.create({
        title: input.title,
        description: input.description ?? null,
        diff: input.diff,
        authorId,
        status: 'pending',
      }),
    );
  }

  async list(query: ListProposalsQueryDto): Promise<PageDto<CodeProposal>> {
    const [items, total] = await this.proposals.findAndCount({
      where: query.status ? { status: query.status } : {},
      // The id breaks ties between proposals created at the same instant, so offset pages neither repeat nor skip.
      order: { createdAt: 'DESC', id: 'DESC' },
      take: query.limit,
      skip: query.offset,
    });
    return page(items, total, query);
  }

  async get(id: string): Promise<CodeProposal> {
    const proposal = await this.proposals.findOneBy({ id });
    if (!proposal) throw new PlatformException(PlatformErrorCode.ProposalNotFound);
    return proposal;
  }

  /**
   * Decides a pending proposal. Four eyes: its author cannot decide it. The
   * UPDATE only matches a pending row, so of two deciders racing, one wins and
   * the other is told it was already decided.
   */
  async decide(id: string, deciderId: string, decision: ProposalDecision, comment?: string): Promise<CodeProposal> {
    const proposal = await this.get(id);
    if (proposal.authorId === deciderId) throw new PlatformException(PlatformErrorCode.OwnProposal);
    const result = await this.proposals
      .createQueryBuilder()
      .update()
      .set({ status: decision, decidedBy: deciderId, decidedAt: this.clock.now(), decisionComment: comment ?? null })
      .where("id = :id AND status = 'pending' AND (author_id IS NULL OR author_id <> :deciderId)", { id, deciderId })
      .execute();
    if (result.affected !== 1) throw new PlatformException(PlatformErrorCode.ProposalAlreadyDecided);
    this.events.publish(new ProposalDecided(id, decision, deciderId));
    return this.get(id);
  }
}
