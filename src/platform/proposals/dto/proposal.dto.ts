import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { UnlessAbsent } from '../../../common/validation/unless-absent.decorator';
import { PaginationQueryDto } from '../../../common/pagination/pagination-query.dto';
import { type CodeProposal, PROPOSAL_STATUSES, type ProposalStatus } from '../code-proposal.entity';

export class CreateProposalDto {
  @ApiProperty({ example: 'Tighten the stop-loss in momentum-scanner' })
  @IsString()
  @Length(1, 200)
  title!: string;

  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsString()
  @Length(0, 10_000)
  description?: string;

  @ApiProperty({ description: 'The change, as a unified diff.' })
  @IsString()
  @Length(1, 500_000)
  diff!: string;
}

export class DecideProposalDto {
  @ApiPropertyOptional({ description: 'Why it was approved or rejected.' })
  @UnlessAbsent()
  @IsString()
  @Length(0, 4000)
  comment?: string;
}

export class ListProposalsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: PROPOSAL_STATUSES })
  @IsOptional()
  @IsIn(PROPOSAL_STATUSES)
  status?: ProposalStatus;
}

export class ProposalDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  title!: string;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty()
  diff!: string;

  @ApiProperty({ enum: PROPOSAL_STATUSES })
  status!: ProposalStatus;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  authorId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  decidedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  decidedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  decisionComment!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static from(proposal: CodeProposal): ProposalDto {
    return {
      id: proposal.id,
      title: proposal.title,
      description: proposal.description,
      diff: proposal.diff,
      status: proposal.status,
      authorId: proposal.authorId,
      decidedBy: proposal.decidedBy,
      decidedAt: proposal.decidedAt?.toISOString() ?? null,
      decisionComment: proposal.decisionComment,
      createdAt: proposal.createdAt.toISOString(),
    };
  }
}
